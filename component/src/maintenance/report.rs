//! What a check found.

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Machine-readable kind, e.g. `count-mismatch`.
    pub kind: &'static str,
    /// The key concerned.
    pub key: String,
    /// What is wrong, for people.
    pub detail: String,
    /// Whether this run repaired it.
    pub repaired: bool,
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
    /// What was wrong.
    pub violations: Vec<Violation>,
}
