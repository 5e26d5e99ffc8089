//! The whole key space, and keys that belong to no live connection.

use std::collections::HashSet;

use super::Checker;
use crate::app::App;
use crate::storage::StorageError;

/// Every key of the bucket, sorted.
pub(crate) fn all_keys(app: &App<'_>) -> Result<Vec<String>, StorageError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (keys, next) = app.store.list_keys(cursor.as_deref())?;
        out.extend(keys);
        match next {
            Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
            _ => break,
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The connection a per-connection key belongs to.
pub(crate) fn owner(key: &str) -> Option<&str> {
    let mut parts = key.splitn(3, '/');
    match parts.next()? {
        "res" | "res-list" | "res-uniq" | "res-idx" | "mem" | "member-of" => parts.next(),
        _ => None,
    }
}

/// Keys under `prefix`.
pub(crate) fn under<'k>(all: &'k [String], prefix: &str) -> impl Iterator<Item = &'k String> {
    let start = all.partition_point(|k| k.as_str() < prefix);
    all[start..].iter().take_while(move |k| k.starts_with(prefix))
}

/// Keys of connections that are not live (a deletion that did not finish).
pub(crate) fn check_orphans(
    checker: &mut Checker<'_, '_>,
    live: &[String],
    all: &[String],
) -> Result<(), StorageError> {
    let live: HashSet<&str> = live.iter().map(String::as_str).collect();
    let orphans: Vec<String> = all.iter().filter(|k| owner(k).is_some_and(|c| !live.contains(c))).cloned().collect();
    if orphans.is_empty() {
        return Ok(());
    }
    let store = checker.app.store;
    let detail = format!("{} keys belong to no live connection (an interrupted deletion)", orphans.len());
    let first = orphans[0].clone();
    checker.violation("orphan-keys", first, detail, || {
        for batch in orphans.chunks(512) {
            store.delete_many(batch)?;
        }
        Ok(())
    })
}
