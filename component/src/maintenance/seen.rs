//! What the listing walk saw, remembered for the key-space walk in 8 bytes per key.
//!
//! A million users make a million record keys; remembering them as strings would take about
//! 100 MB of guest memory, as 64-bit fingerprints 8 MB. Two keys share a fingerprint with a
//! probability of about n²/2⁶⁵ (3·10⁻⁸ at a million keys); a shared fingerprint could only hide
//! one unlisted key from one run of the check, never cause a repair.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// The keys the listings account for.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Ids of the connections listed in `conn-list`.
    pub(crate) connections: HashSet<String>,
    /// Fingerprints of record keys whose id a listing holds (any state).
    records: Vec<u64>,
    /// Fingerprints of the member-list prefixes of live groups (`mem/{c}/{g}`).
    groups: Vec<u64>,
    /// Fingerprints of membership entry keys that name a chunk holding their id.
    entries: Vec<u64>,
    sealed: bool,
}

fn fingerprint(key: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

fn contains(set: &[u64], key: &str) -> bool {
    set.binary_search(&fingerprint(key)).is_ok()
}

impl Seen {
    /// Notes that a listing holds the record at `key`.
    pub(crate) fn record(&mut self, key: &str) {
        self.records.push(fingerprint(key));
    }

    /// Notes the live group whose member list is under `prefix`.
    pub(crate) fn group(&mut self, prefix: &str) {
        self.groups.push(fingerprint(prefix));
    }

    /// Notes a membership entry found listed where it says.
    pub(crate) fn entry(&mut self, key: &str) {
        self.entries.push(fingerprint(key));
    }

    /// Ends the listing walk: sorts for lookups.
    pub(crate) fn seal(&mut self) {
        for set in [&mut self.records, &mut self.groups, &mut self.entries] {
            set.sort_unstable();
            set.dedup();
        }
        self.sealed = true;
    }

    /// Whether a listing holds the record at `key`.
    pub(crate) fn has_record(&self, key: &str) -> bool {
        debug_assert!(self.sealed);
        contains(&self.records, key)
    }

    /// Whether the member list under `prefix` belongs to a live group.
    pub(crate) fn has_group(&self, prefix: &str) -> bool {
        debug_assert!(self.sealed);
        contains(&self.groups, prefix)
    }

    /// Whether the membership entry at `key` was found listed where it says.
    pub(crate) fn has_entry(&self, key: &str) -> bool {
        debug_assert!(self.sealed);
        contains(&self.entries, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_what_it_was_told_and_nothing_else() {
        let mut seen = Seen::default();
        seen.record("res/c/u/1");
        seen.group("mem/c/g");
        seen.entry("mem/c/g/m/1");
        seen.seal();
        assert!(seen.has_record("res/c/u/1") && !seen.has_record("res/c/u/2"));
        assert!(seen.has_group("mem/c/g") && !seen.has_group("mem/c/h"));
        assert!(seen.has_entry("mem/c/g/m/1") && !seen.has_entry("mem/c/g/m/2"));
    }
}
