//! `idplex check`: the component's consistency report, rendered for operators.

use std::fmt::Write as _;

pub use crate::bindings::exports::idplex::scim::maintenance::{Report as MaintenanceReport, Violation};

/// Whether every violation in `report` has been repaired (true for a consistent store).
pub fn is_clean(report: &MaintenanceReport) -> bool {
    report.violations.iter().all(|v| v.repaired)
}

/// A plain-text summary: the counts, then one line per violation.
pub fn render(report: &MaintenanceReport) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "checked {} keys: {} connections, {} users, {} groups, {} memberships",
        report.keys, report.connections, report.users, report.groups, report.memberships
    );
    if report.violations.is_empty() {
        let _ = writeln!(out, "no violations found");
    }
    for v in &report.violations {
        let state = if v.repaired { "repaired" } else { "NOT repaired" };
        let _ = writeln!(out, "{state}: {} at {}: {}", v.kind, v.key, v.detail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(violations: Vec<Violation>) -> MaintenanceReport {
        MaintenanceReport { keys: 10, connections: 1, users: 2, groups: 3, memberships: 4, violations }
    }

    fn violation(repaired: bool) -> Violation {
        Violation {
            kind: "count-mismatch".into(),
            key: "conn/x/count".into(),
            detail: "counted 2, stored 3".into(),
            repaired,
        }
    }

    #[test]
    fn consistent_store_is_clean() {
        let r = report(vec![]);
        assert!(is_clean(&r));
        assert!(render(&r).contains("no violations found"));
    }

    #[test]
    fn unrepaired_violation_is_not_clean_and_listed() {
        let r = report(vec![violation(true), violation(false)]);
        assert!(!is_clean(&r));
        let text = render(&r);
        assert!(text.contains("repaired: count-mismatch at conn/x/count"));
        assert!(text.contains("NOT repaired: count-mismatch"));
    }
}
