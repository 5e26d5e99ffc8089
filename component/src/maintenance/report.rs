//! What a check found: corruption (violations) apart from work a crash or a request in flight
//! left half done (unfinished), which is normal and finishes by itself or with `--repair`.

/// At most this many findings of each list are kept in a report; the rest are counted in
/// [`Report::omitted`] (and still repaired). A store a crash left with a million stale claims
/// must not make a report the size of the store.
pub const MAX_FINDINGS: usize = 1_000;

/// One broken invariant: a state no interleaving of the protocols of `docs/storage.md`, cut
/// short anywhere, can produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Machine-readable kind, e.g. `claim-missing`.
    pub kind: &'static str,
    /// The key concerned.
    pub key: String,
    /// What is wrong, for people.
    pub detail: String,
    /// Whether this run repaired it.
    pub repaired: bool,
}

/// Work that a crash (or a request still running) left half done: a state some protocol
/// passes through. Readers skip or finish it; `--repair` finishes it once it is older than the
/// in-flight grace period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    /// Machine-readable kind, e.g. `committed-but-pending`, `interrupted-delete`.
    pub kind: &'static str,
    /// The key concerned.
    pub key: String,
    /// What was left half done, for people.
    pub detail: String,
    /// Younger than the grace period: a request may be finishing it right now, so it is left
    /// alone (even by `--repair`).
    pub in_flight: bool,
    /// Whether this run finished it.
    pub finished: bool,
}

/// The result of a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Keys in the store.
    pub keys: u64,
    /// Live connections checked.
    pub connections: u64,
    /// Live users checked.
    pub users: u64,
    /// Live groups checked.
    pub groups: u64,
    /// Memberships checked.
    pub memberships: u64,
    /// Work left half done (not corruption).
    pub unfinished: Vec<Unfinished>,
    /// What is corrupt.
    pub violations: Vec<Violation>,
    /// Findings beyond [`MAX_FINDINGS`] per list, counted but not listed.
    pub omitted: u64,
}

impl Report {
    /// Keeps `violation`, or counts it when the list is full.
    pub(crate) fn push_violation(&mut self, violation: Violation) {
        if self.violations.len() < MAX_FINDINGS {
            self.violations.push(violation);
        } else {
            self.omitted += 1;
        }
    }

    /// Keeps `unfinished`, or counts it when the list is full.
    pub(crate) fn push_unfinished(&mut self, unfinished: Unfinished) {
        if self.unfinished.len() < MAX_FINDINGS {
            self.unfinished.push(unfinished);
        } else {
            self.omitted += 1;
        }
    }
}
