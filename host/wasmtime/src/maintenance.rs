//! `idplex check`: the component's consistency report, rendered for operators.

use std::fmt::Write as _;
use std::time::Duration;

pub use crate::bindings::exports::idplex::scim::maintenance::{
    CheckOptions, Report as MaintenanceReport, Unfinished, Violation,
};

/// How long a whole-store check may run guest code (`idplex check`, and any tool that runs
/// one): it walks every key, about 30 s at a million users on a 2-core machine.
pub const CHECK_TIME_LIMIT: Duration = Duration::from_secs(3600);

/// A report with what the host measured of the run.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// What the component found.
    pub report: MaintenanceReport,
    /// The guest's peak linear memory during the check (bytes).
    pub peak_memory_bytes: usize,
    /// Wall-clock time of the check.
    pub elapsed: Duration,
}

/// Whether the store is free of corruption: every violation (if any) repaired. Unfinished
/// work is not corruption: readers and `--repair` finish it.
pub fn is_clean(report: &MaintenanceReport) -> bool {
    report.violations.iter().all(|v| v.repaired)
}

/// A plain-text summary: the counts, unfinished work, then one line per violation.
pub fn render(outcome: &CheckOutcome) -> String {
    let report = &outcome.report;
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "checked {} keys in {:.1} s (peak guest memory {:.1} MiB): {} connections, {} users, {} groups, {} memberships",
        report.keys,
        outcome.elapsed.as_secs_f64(),
        outcome.peak_memory_bytes as f64 / (1024.0 * 1024.0),
        report.connections,
        report.users,
        report.groups,
        report.memberships
    );
    if !report.unfinished.is_empty() {
        let _ = writeln!(
            out,
            "{} unfinished (work a crash or a running request left half done; not corruption):",
            report.unfinished.len()
        );
    }
    for u in &report.unfinished {
        let state = match (u.finished, u.in_flight) {
            (true, _) => "finished",
            (false, true) => "in flight, left alone",
            (false, false) => "not finished; `idplex check --repair` finishes it",
        };
        let _ = writeln!(out, "  {}: {} at {} ({state})", u.kind, u.detail, u.key);
    }
    if report.violations.is_empty() {
        let _ = writeln!(out, "no violations found");
    }
    for v in &report.violations {
        let state = if v.repaired { "repaired" } else { "NOT repaired" };
        let _ = writeln!(out, "{state}: {} at {}: {}", v.kind, v.key, v.detail);
    }
    if report.omitted > 0 {
        let _ = writeln!(out, "... and {} more findings not listed", report.omitted);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(unfinished: Vec<Unfinished>, violations: Vec<Violation>) -> CheckOutcome {
        let report = MaintenanceReport {
            keys: 10,
            connections: 1,
            users: 2,
            groups: 3,
            memberships: 4,
            unfinished,
            violations,
            omitted: 0,
        };
        CheckOutcome { report, peak_memory_bytes: 3 << 20, elapsed: Duration::from_millis(1500) }
    }

    fn violation(repaired: bool) -> Violation {
        Violation {
            kind: "claim-missing".into(),
            key: "res-uniq/x".into(),
            detail: "userName of u is not claimed by it".into(),
            repaired,
        }
    }

    fn unfinished(in_flight: bool) -> Unfinished {
        Unfinished {
            kind: "committed-but-pending".into(),
            key: "res/c/u/1".into(),
            detail: "1 is committed".into(),
            in_flight,
            finished: false,
        }
    }

    #[test]
    fn consistent_store_is_clean() {
        let o = outcome(vec![], vec![]);
        assert!(is_clean(&o.report));
        let text = render(&o);
        assert!(text.contains("no violations found"), "{text}");
        assert!(text.contains("in 1.5 s (peak guest memory 3.0 MiB)"), "{text}");
    }

    #[test]
    fn unfinished_work_is_listed_but_clean() {
        let o = outcome(vec![unfinished(true), unfinished(false)], vec![]);
        assert!(is_clean(&o.report));
        let text = render(&o);
        assert!(text.contains("2 unfinished"), "{text}");
        assert!(text.contains("(in flight, left alone)"), "{text}");
        assert!(text.contains("(not finished; `idplex check --repair` finishes it)"), "{text}");
    }

    #[test]
    fn unrepaired_violation_is_not_clean_and_listed() {
        let o = outcome(vec![], vec![violation(true), violation(false)]);
        assert!(!is_clean(&o.report));
        let text = render(&o);
        assert!(text.contains("repaired: claim-missing at res-uniq/x"));
        assert!(text.contains("NOT repaired: claim-missing"));
    }
}
