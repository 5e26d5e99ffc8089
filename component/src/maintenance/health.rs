//! The health counter the store check can verify: a connection's count of inactive users
//! (`health/{c}/inactive`), which a crash between a user's write and the counter's increment
//! leaves off by one. It is recounted from the users themselves and, when repairing, moved to
//! the count (counters can only be incremented).

use super::Checker;
use crate::end_users::is_active;
use crate::storage::connections::RecordState;
use crate::storage::keys::{self, Kind};
use crate::storage::resources::{ResourceRecord, Resources};
use crate::storage::{StorageError, decode};

/// Users read per store call while counting.
const USERS_PER_CALL: usize = 256;

/// The listed users whose record is not deleted and says `active: false`, read as stored
/// (without the finishing readers do: a check that does not repair writes nothing).
fn count_inactive(checker: &Checker<'_, '_>, connection: &str) -> Result<i64, StorageError> {
    let store = checker.app.store;
    let users = Resources::new(store, connection, Kind::User);
    let mut inactive = 0;
    for batch in users.ids()?.chunks(USERS_PER_CALL) {
        let record_keys: Vec<String> = batch.iter().map(|id| keys::resource(connection, Kind::User, id)).collect();
        for (key, value) in record_keys.iter().zip(store.get_many(&record_keys)?) {
            let Some(bytes) = value else { continue };
            let record: ResourceRecord = decode(key, &bytes)?;
            if record.state != RecordState::Deleted && !is_active(&record.body) {
                inactive += 1;
            }
        }
    }
    Ok(inactive)
}

/// Checks connection `connection`'s inactive-user counter against its users. A write in flight
/// moves both between two readings: a difference is reported only when it is seen twice.
pub(crate) fn check_counters(checker: &mut Checker<'_, '_>, connection: &str) -> Result<(), StorageError> {
    let store = checker.app.store;
    let key = keys::health_inactive(connection);
    let mut difference = 0;
    for _ in 0..2 {
        let counted = store.increment(&key, 0)?;
        difference = count_inactive(checker, connection)? - counted;
        if difference == 0 {
            return Ok(());
        }
    }
    let detail = format!("the inactive-user counter of connection {connection} is off by {}", -difference);
    checker.violation("inactive-counter", key.clone(), detail, || {
        store.increment(&key, difference)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::maintenance::{Options, check};
    use crate::scim::schema::USER;
    use crate::storage::keys;
    use crate::store::KvStore;
    use crate::testing::Harness;

    #[test]
    fn a_drifted_inactive_counter_is_a_violation_and_repaired() {
        let h = Harness::new();
        let c = h.connection("A");
        h.scim(&c, "POST", "/Users", Some(json!({"schemas": [USER], "userName": "a", "active": false})));
        h.scim(&c, "POST", "/Users", Some(json!({"schemas": [USER], "userName": "b"})));
        let gone = h.scim(&c, "POST", "/Users", Some(json!({"schemas": [USER], "userName": "c", "active": false})));
        let gone = gone.body_json()["id"].as_str().expect("id").to_owned();
        h.scim(&c, "DELETE", &format!("/Users/{gone}"), None);
        let app = crate::App::new(&h.store, &h.env);
        assert!(check(&app, Options { repair: false, now: None }).expect("check").violations.is_empty());
        // A crash after a deactivation was written but before the counter moved.
        h.store.increment(&keys::health_inactive(&c.id), -1).expect("increment");
        let report = check(&app, Options { repair: true, now: None }).expect("check");
        assert_eq!(report.violations.iter().map(|v| v.kind).collect::<Vec<_>>(), ["inactive-counter"]);
        assert_eq!(h.store.increment(&keys::health_inactive(&c.id), 0).expect("read"), 1);
        assert!(check(&app, Options { repair: false, now: None }).expect("check").violations.is_empty());
    }
}
