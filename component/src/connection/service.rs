//! The connection operations behind both the admin HTTP API and the `admin` WIT interface.

use super::view::{ConnectionView, Issued, scim_url};
use super::{ConnectionError, validate_name};
use crate::app::App;
use crate::ids;
use crate::storage::StorageError;
use crate::storage::connections::{self, ConnectionRecord, ConnectionWriteError, RecordState};
use crate::storage::keys;
use crate::storage::stats::{self, Stats};
use crate::token;

/// How many default names are tried before giving up (only reached if people rename
/// connections to `Connection N` on purpose, many times over).
const DEFAULT_NAME_ATTEMPTS: usize = 1000;

fn view(base: Option<&str>, record: ConnectionRecord, stats: Stats) -> ConnectionView {
    ConnectionView { scim_url: scim_url(base, &record.id), record, stats }
}

fn view_one(app: &App<'_>, base: Option<&str>, record: ConnectionRecord) -> Result<ConnectionView, StorageError> {
    let stats = stats::read_many(app.store, &[record.id.as_str()])?.pop().unwrap_or_default();
    Ok(view(base, record, stats))
}

/// Creates a connection named `name` (or a unique default name) with a fresh token.
pub fn create(app: &App<'_>, name: Option<&str>, base: Option<&str>) -> Result<Issued, ConnectionError> {
    let explicit = name.map(validate_name).transpose()?;
    let now = app.now();
    for _ in 0..DEFAULT_NAME_ATTEMPTS {
        let name = match &explicit {
            Some(name) => name.clone(),
            None => format!(
                "Connection {}",
                app.store.increment(keys::CONNECTION_NAME_SEQUENCE, 1).map_err(StorageError::from)?
            ),
        };
        let issued = token::issue(app.env);
        let record = ConnectionRecord {
            id: ids::connection_id(app.env),
            name,
            token_hash: issued.hash,
            token_issued: now,
            created: now,
            last_modified: now,
            chunk: 0,
            state: RecordState::Pending,
            accept_unknown_extensions: connections::accepts_unknown_extensions(),
        };
        match connections::create(app.store, record, now) {
            Ok(record) => {
                let connection = view(base, record, Stats::default());
                return Ok(Issued { connection, token: issued.secret });
            }
            Err(ConnectionWriteError::NameTaken) if explicit.is_none() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ConnectionError::NameTaken)
}

/// Every connection, oldest first, with counts.
pub fn list(app: &App<'_>, base: Option<&str>) -> Result<Vec<ConnectionView>, ConnectionError> {
    let records = connections::all(app.store)?;
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let counts = stats::read_many(app.store, &ids)?;
    Ok(records.into_iter().zip(counts).map(|(r, s)| view(base, r, s)).collect())
}

/// One connection.
pub fn get(app: &App<'_>, id: &str, base: Option<&str>) -> Result<ConnectionView, ConnectionError> {
    if !ids::is_connection_id(id) {
        return Err(ConnectionError::NotFound);
    }
    let record = connections::get(app.store, id)?.ok_or(ConnectionError::NotFound)?;
    Ok(view_one(app, base, record)?)
}

/// Renames a connection.
pub fn rename(app: &App<'_>, id: &str, name: &str, base: Option<&str>) -> Result<ConnectionView, ConnectionError> {
    let name = validate_name(name)?;
    if !ids::is_connection_id(id) {
        return Err(ConnectionError::NotFound);
    }
    let record = connections::rename(app.store, id, &name, app.now())?;
    Ok(view_one(app, base, record)?)
}

/// Sets whether the connection keeps extension objects no registered schema describes.
pub fn set_accept_unknown_extensions(
    app: &App<'_>,
    id: &str,
    accept: bool,
    base: Option<&str>,
) -> Result<ConnectionView, ConnectionError> {
    if !ids::is_connection_id(id) {
        return Err(ConnectionError::NotFound);
    }
    let now = app.now();
    let record = connections::modify(app.store, id, |record| {
        record.accept_unknown_extensions = accept;
        record.last_modified = now;
    })?;
    Ok(view_one(app, base, record)?)
}

/// Issues a new token; the old one stops working at once.
pub fn regenerate_token(app: &App<'_>, id: &str, base: Option<&str>) -> Result<Issued, ConnectionError> {
    if !ids::is_connection_id(id) {
        return Err(ConnectionError::NotFound);
    }
    let issued = token::issue(app.env);
    let now = app.now();
    let record = connections::modify(app.store, id, |record| {
        record.token_hash = issued.hash.clone();
        record.token_issued = now;
        record.last_modified = now;
    })?;
    Ok(Issued { connection: view_one(app, base, record)?, token: issued.secret })
}

/// Deletes a connection: its token stops working and its users and groups leave every list at
/// once (the record is marked `Deleted`, its name and list entry released); then it is queued
/// and its stored data reclaimed afterwards in bounded steps ([`crate::reclaim`]). A constant
/// number of store calls, whatever the connection's size. A crash between the mark and the
/// queueing leaves a deletion `idplex check` reports as unfinished and `--repair` finishes.
pub fn delete(app: &App<'_>, id: &str) -> Result<(), ConnectionError> {
    if !ids::is_connection_id(id) {
        return Err(ConnectionError::NotFound);
    }
    connections::mark_deleted(app.store, id, app.now())?;
    crate::reclaim::enqueue(app, id)?;
    Ok(())
}

/// Removes every key of connection `id` at once, whatever state its record is in (used by
/// `idplex check --repair` to finish a deletion a crash interrupted, or to remove a record no
/// listing holds). Not for requests: its work grows with the connection.
pub fn purge(app: &App<'_>, id: &str) -> Result<(), ConnectionError> {
    crate::reclaim::purge(app, id)?;
    Ok(())
}

/// The connection `id` if `presented` is its current token. Unknown ids and wrong tokens are
/// indistinguishable to the caller, and cost the same: one store read (none for an id that
/// cannot be a connection id), one SHA-256 of the presented token and one constant-time
/// comparison, against [`token::TokenHash::unmatchable`] when there is no connection.
pub fn authenticate(app: &App<'_>, id: &str, presented: &str) -> Result<Option<ConnectionRecord>, StorageError> {
    let record = if ids::is_connection_id(id) { connections::get(app.store, id)? } else { None };
    let unmatchable = token::TokenHash::unmatchable();
    let expected = record.as_ref().map_or(&unmatchable, |record| &record.token_hash);
    let matches = expected.verify(presented);
    Ok(record.filter(|_| matches))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::env::TestEnv;
    use crate::store::counting::CountingStore;
    use crate::store::memory::MemoryStore;

    fn setup() -> (MemoryStore, TestEnv) {
        (MemoryStore::default(), TestEnv::default())
    }

    #[test]
    fn default_names_are_unique_and_editable() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let a = create(&app, None, None).expect("create");
        let b = create(&app, None, None).expect("create");
        assert_eq!(a.connection.record.name, "Connection 1");
        assert_eq!(b.connection.record.name, "Connection 2");
        rename(&app, &a.connection.record.id, "Connection 3", None).expect("rename");
        let c = create(&app, None, None).expect("create");
        assert_eq!(c.connection.record.name, "Connection 4");
    }

    #[test]
    fn names_are_unique_case_insensitively() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        create(&app, Some("Acme - Okta"), None).expect("create");
        assert_eq!(create(&app, Some("ACME - okta"), None).err(), Some(ConnectionError::NameTaken));
        assert_eq!(list(&app, None).expect("list").len(), 1);
    }

    #[test]
    fn rename_frees_the_old_name() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let a = create(&app, Some("Old"), None).expect("create");
        rename(&app, &a.connection.record.id, "New", None).expect("rename");
        create(&app, Some("Old"), None).expect("old name is free again");
        let names: Vec<String> = list(&app, None).expect("list").into_iter().map(|v| v.record.name).collect();
        assert_eq!(names, vec!["New".to_owned(), "Old".to_owned()]);
    }

    #[test]
    fn regenerated_token_replaces_the_old_one() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let a = create(&app, None, None).expect("create");
        let id = a.connection.record.id.clone();
        assert!(authenticate(&app, &id, &a.token).expect("auth").is_some());
        let b = regenerate_token(&app, &id, None).expect("regenerate");
        assert!(authenticate(&app, &id, &a.token).expect("auth").is_none());
        assert!(authenticate(&app, &id, &b.token).expect("auth").is_some());
    }

    #[test]
    fn token_of_one_connection_opens_no_other() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let a = create(&app, None, None).expect("create");
        let b = create(&app, None, None).expect("create");
        assert!(authenticate(&app, &b.connection.record.id, &a.token).expect("auth").is_none());
    }

    #[test]
    fn deleted_connection_leaves_no_keys_behind() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let keep = create(&app, Some("Keep"), None).expect("create");
        let before = store.keys();
        let gone = create(&app, Some("Gone"), None).expect("create");
        delete(&app, &gone.connection.record.id).expect("delete");
        assert!(authenticate(&app, &gone.connection.record.id, &gone.token).expect("auth").is_none());
        assert_eq!(get(&app, &gone.connection.record.id, None).err(), Some(ConnectionError::NotFound));
        crate::reclaim::run_until_idle(&app, 100).expect("reclaim");
        let leftover: Vec<String> = store
            .keys()
            .into_iter()
            .filter(|k| !before.contains(k) && k.contains(&gone.connection.record.id))
            .collect();
        assert!(leftover.is_empty(), "{leftover:?}");
        assert_eq!(list(&app, None).expect("list")[0].record.id, keep.connection.record.id);
    }

    /// What authenticating `presented` for `id` costs: whether it passed, the token hash
    /// comparisons it ran and the store calls it made.
    fn cost(
        store: &MemoryStore,
        env: &TestEnv,
        id: &str,
        presented: &str,
    ) -> (bool, usize, BTreeMap<&'static str, usize>) {
        let counting = CountingStore::new(store.clone());
        let app = App::new(&counting, env);
        let (passed, compares) = token::compares_during(|| authenticate(&app, id, presented).expect("auth").is_some());
        (passed, compares, counting.take())
    }

    #[test]
    fn every_authentication_compares_one_hash_whether_or_not_the_connection_exists() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let live = create(&app, Some("Live"), None).expect("create");
        let gone = create(&app, Some("Gone"), None).expect("create");
        delete(&app, &gone.connection.record.id).expect("delete");
        let unknown = ids::connection_id(&env);
        let cases = [
            ("right token", live.connection.record.id.as_str(), live.token.as_str(), true),
            ("wrong token", &live.connection.record.id, &gone.token, false),
            ("deleted connection", &gone.connection.record.id, &gone.token, false),
            ("unknown connection", &unknown, &live.token, false),
            ("malformed connection id", "not-an-id", &live.token, false),
        ];
        for (case, id, presented, expected) in cases {
            let (passed, compares, _) = cost(&store, &env, id, presented);
            assert_eq!(passed, expected, "{case}");
            assert_eq!(compares, 1, "{case}: one constant-time comparison");
        }
    }

    #[test]
    fn unknown_deleted_and_wrong_token_make_the_same_store_calls() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let live = create(&app, Some("Live"), None).expect("create");
        let gone = create(&app, Some("Gone"), None).expect("create");
        delete(&app, &gone.connection.record.id).expect("delete");
        let live_id = live.connection.record.id.as_str();
        let (_, _, right) = cost(&store, &env, live_id, &live.token);
        let (_, _, wrong) = cost(&store, &env, live_id, &gone.token);
        let (_, _, deleted) = cost(&store, &env, &gone.connection.record.id, &gone.token);
        let (_, _, unknown) = cost(&store, &env, &ids::connection_id(&env), &live.token);
        assert_eq!(right, BTreeMap::from([("get", 1)]));
        assert_eq!(wrong, right, "wrong token");
        assert_eq!(deleted, right, "deleted connection");
        assert_eq!(unknown, right, "unknown connection");
    }

    #[test]
    fn unknown_extensions_are_accepted_until_turned_off() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let a = create(&app, None, None).expect("create");
        assert!(a.connection.record.accept_unknown_extensions, "the default");
        let id = a.connection.record.id;
        let off = set_accept_unknown_extensions(&app, &id, false, None).expect("set");
        assert!(!off.record.accept_unknown_extensions);
        assert!(!get(&app, &id, None).expect("get").record.accept_unknown_extensions);
    }

    #[test]
    fn scim_url_uses_base() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let a = create(&app, None, Some("https://idp.example.com")).expect("create");
        assert_eq!(a.connection.scim_url, format!("https://idp.example.com/scim/v2/{}", a.connection.record.id));
    }
}
