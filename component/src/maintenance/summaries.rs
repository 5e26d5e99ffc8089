//! User summary pages (`res-sum/{c}/u/{k}`) against the chunk they mirror and its live
//! records: every live user has a row at its record's version; no row of an unlisted id.

use std::collections::{HashMap, HashSet};

use super::Checker;
use crate::storage::StorageError;
use crate::storage::resources::ResourceRecord;
use crate::storage::summaries::{Summaries, Summary};

/// Checks page `n` of `connection`'s summaries: `listed` are the ids of list chunk `n`,
/// `live` the live records among them.
pub(crate) fn check_page(
    checker: &mut Checker<'_, '_>,
    connection: &str,
    n: u32,
    listed: &[String],
    live: &[ResourceRecord],
) -> Result<(), StorageError> {
    let summaries = Summaries::new(checker.app.store, connection);
    let key = summaries.page_key(n);
    let Some(rows) = summaries.read_page(n)? else {
        if !listed.is_empty() {
            let built: Vec<Summary> = live.iter().map(Summary::of).collect();
            checker.unfinished(
                "summary-unbuilt",
                key,
                format!("summary page {n} is not built yet (its first End Users reader builds it)"),
                i64::MIN,
                true,
                || summaries.change(n, true, built, &HashSet::new()),
            )?;
        }
        return Ok(());
    };
    let by_id: HashMap<&str, &Summary> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let listed: HashSet<&str> = listed.iter().map(String::as_str).collect();
    let unlisted: HashSet<String> =
        rows.iter().filter(|r| !listed.contains(r.id.as_str())).map(|r| r.id.clone()).collect();
    if !unlisted.is_empty() {
        checker.unfinished(
            "summary-unlisted",
            key.clone(),
            format!("{} summaries of ids chunk {n} no longer lists (readers ignore them)", unlisted.len()),
            i64::MIN,
            true,
            || summaries.change(n, false, Vec::new(), &unlisted),
        )?;
    }
    for record in live {
        let wanted = Summary::of(record);
        match by_id.get(record.id.as_str()) {
            None => checker.unfinished(
                "summary-missing",
                key.clone(),
                format!("{} has no summary yet (its create or the next reader adds it)", record.id),
                record.last_modified,
                true,
                || summaries.change(n, false, vec![wanted], &HashSet::new()),
            )?,
            Some(row) if row.version < record.version => checker.unfinished(
                "summary-behind",
                key.clone(),
                format!("the summary of {} is at version {}, its record at {}", record.id, row.version, record.version),
                record.last_modified,
                true,
                || summaries.change(n, false, vec![wanted], &HashSet::new()),
            )?,
            Some(row) if row.version == record.version && **row != wanted => {
                let doomed = HashSet::from([record.id.clone()]);
                checker.violation(
                    "summary-wrong",
                    key.clone(),
                    format!("the summary of {} does not match its record at the same version", record.id),
                    || {
                        summaries.change(n, false, Vec::new(), &doomed)?;
                        summaries.change(n, false, vec![wanted], &HashSet::new())
                    },
                )?
            }
            Some(_) => {}
        }
    }
    Ok(())
}
