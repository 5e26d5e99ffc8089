//! The connection operations behind both the admin HTTP API and the `admin` WIT interface.

use super::view::{ConnectionView, Issued, scim_url};
use super::{ConnectionError, validate_name};
use crate::activity::health::{self, HealthDoc};
use crate::activity::{Action, Actor, Event, audit};
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

/// The longest grace period a regenerated token's predecessor may be given: one day.
pub const MAX_GRACE_SECONDS: u32 = 86_400;

/// The default and the largest page of [`list`].
pub const DEFAULT_PAGE: u32 = 100;
/// The largest page of [`list`].
pub const MAX_PAGE: u32 = 1000;

fn view(base: Option<&str>, record: ConnectionRecord, stats: Stats, health: health::Health) -> ConnectionView {
    ConnectionView { scim_url: scim_url(base, &record.id), record, stats, health }
}

fn views(
    app: &App<'_>,
    base: Option<&str>,
    records: Vec<ConnectionRecord>,
) -> Result<Vec<ConnectionView>, StorageError> {
    let now = app.now();
    let records: Vec<ConnectionRecord> = records
        .into_iter()
        .map(|mut record| {
            // A lapsed previous token is shown as gone before the store forgets it.
            if record.previous_token_lapsed(now) {
                record.previous_token_hash = None;
                record.previous_token_expires = None;
            }
            record
        })
        .collect();
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let counts = stats::read_many(app.store, &ids)?;
    let healths = health::read_many(app.store, &ids, &counts, now)?;
    Ok(records.into_iter().zip(counts).zip(healths).map(|((r, s), h)| view(base, r, s, h)).collect())
}

fn view_one(app: &App<'_>, base: Option<&str>, record: ConnectionRecord) -> Result<ConnectionView, StorageError> {
    Ok(views(app, base, vec![record])?.pop().unwrap_or_else(|| unreachable!("one view per record")))
}

/// Records an admin action on `record` in the audit feed. The action happened: a feed that
/// cannot be written does not undo it (see `docs/storage.md`, "Health and audit").
fn audit_admin(app: &App<'_>, record: &ConnectionRecord, action: Action, detail: Option<String>) {
    let event = Event {
        seq: 0,
        at: app.now(),
        actor: Actor::Admin,
        connection_id: record.id.clone(),
        connection_name: record.name.clone(),
        action,
        resource_type: "Connection".into(),
        resource_id: record.id.clone(),
        detail,
        inactive_delta: 0,
    };
    let _ = audit::append(app.store, &[event]);
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
            enabled: true,
            token_hint: issued.hint,
            previous_token_hash: None,
            previous_token_expires: None,
        };
        match connections::create(app.store, record, now) {
            Ok(record) => {
                audit_admin(app, &record, Action::ConnectionCreated, None);
                let connection = view_one(app, base, record)?;
                return Ok(Issued { connection, token: issued.secret });
            }
            Err(ConnectionWriteError::NameTaken) if explicit.is_none() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ConnectionError::NameTaken)
}

/// One page of connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionPage {
    /// How many connections there are.
    pub total_results: u64,
    /// The 1-based index of the first connection of the page.
    pub start_index: u32,
    /// The page, oldest first.
    pub connections: Vec<ConnectionView>,
}

/// A page of connections, oldest first, with counts and health: `count` (at most
/// [`MAX_PAGE`]) from the 1-based `start_index`. Reads only the page's records.
pub fn list(
    app: &App<'_>,
    base: Option<&str>,
    start_index: u32,
    count: u32,
) -> Result<ConnectionPage, ConnectionError> {
    let start_index = start_index.max(1);
    let (records, total) = connections::page(app.store, start_index as usize - 1, count.min(MAX_PAGE) as usize)?;
    Ok(ConnectionPage { total_results: total as u64, start_index, connections: views(app, base, records)? })
}

/// Every connection, oldest first, with counts (all pages of [`list`]).
pub fn list_all(app: &App<'_>, base: Option<&str>) -> Result<Vec<ConnectionView>, ConnectionError> {
    Ok(views(app, base, connections::all(app.store)?)?)
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
    let before = connections::get(app.store, id)?.ok_or(ConnectionError::NotFound)?;
    let record = connections::rename(app.store, id, &name, app.now())?;
    if before.name != record.name {
        audit_admin(app, &record, Action::ConnectionRenamed, Some(format!("from \"{}\"", before.name)));
    }
    Ok(view_one(app, base, record)?)
}

/// Applies `change` to the live connection `id`, which says whether it changed anything; a
/// change also stamps `last_modified` and is audited as `action(record)`.
fn change_setting(
    app: &App<'_>,
    id: &str,
    base: Option<&str>,
    mut change: impl FnMut(&mut ConnectionRecord) -> bool,
    action: impl FnOnce(&ConnectionRecord) -> (Action, Option<String>),
) -> Result<ConnectionView, ConnectionError> {
    if !ids::is_connection_id(id) {
        return Err(ConnectionError::NotFound);
    }
    let now = app.now();
    let mut changed = false;
    let record = connections::modify(app.store, id, |record| {
        changed = change(record);
        if changed {
            record.last_modified = now;
        }
    })?;
    if changed {
        let (action, detail) = action(&record);
        audit_admin(app, &record, action, detail);
    }
    Ok(view_one(app, base, record)?)
}

/// Disables (`enabled: false`) or enables a connection. A disabled connection answers its IdP
/// 403 and keeps its users, groups and token.
pub fn set_enabled(
    app: &App<'_>,
    id: &str,
    enabled: bool,
    base: Option<&str>,
) -> Result<ConnectionView, ConnectionError> {
    let change = |record: &mut ConnectionRecord| std::mem::replace(&mut record.enabled, enabled) != enabled;
    change_setting(app, id, base, change, |_| {
        (if enabled { Action::ConnectionEnabled } else { Action::ConnectionDisabled }, None)
    })
}

/// Sets whether the connection keeps extension objects no registered schema describes.
pub fn set_accept_unknown_extensions(
    app: &App<'_>,
    id: &str,
    accept: bool,
    base: Option<&str>,
) -> Result<ConnectionView, ConnectionError> {
    let change =
        |record: &mut ConnectionRecord| std::mem::replace(&mut record.accept_unknown_extensions, accept) != accept;
    change_setting(app, id, base, change, |_| {
        (Action::ConnectionUpdated, Some(format!("acceptUnknownExtensions: {accept}")))
    })
}

/// Issues a new token. With `grace_seconds` 0 the old one stops working at once (the advice
/// for a leaked token); otherwise it keeps working that long (at most [`MAX_GRACE_SECONDS`]),
/// so that a running sync does not fail while the new token is pasted into the IdP. At most two
/// tokens are live: a previous token still in its grace period stops working at once.
pub fn regenerate_token(
    app: &App<'_>,
    id: &str,
    grace_seconds: u32,
    base: Option<&str>,
) -> Result<Issued, ConnectionError> {
    if grace_seconds > MAX_GRACE_SECONDS {
        return Err(ConnectionError::InvalidArgument(format!(
            "graceSeconds must be between 0 and {MAX_GRACE_SECONDS}"
        )));
    }
    if !ids::is_connection_id(id) {
        return Err(ConnectionError::NotFound);
    }
    let issued = token::issue(app.env);
    let now = app.now();
    let record = connections::modify(app.store, id, |record| {
        if grace_seconds > 0 {
            record.previous_token_hash = Some(record.token_hash.clone());
            record.previous_token_expires = Some(now + i64::from(grace_seconds) * 1000);
        } else {
            record.previous_token_hash = None;
            record.previous_token_expires = None;
        }
        record.token_hash = issued.hash.clone();
        record.token_hint = issued.hint.clone();
        record.token_issued = now;
        record.last_modified = now;
    })?;
    let detail = (grace_seconds > 0).then(|| format!("previous token valid for {grace_seconds} s"));
    audit_admin(app, &record, Action::TokenRegenerated, detail);
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
    let record = connections::mark_deleted(app.store, id, app.now())?;
    audit_admin(app, &record, Action::ConnectionDeleted, None);
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

/// A connection a request authenticated for, with its health document (read in the same
/// store call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The connection.
    pub record: ConnectionRecord,
    /// Its health document as it was.
    pub health: HealthDoc,
}

/// The connection `id` if `presented` is its current token, or its previous token within the
/// grace period. Unknown ids and wrong tokens are indistinguishable to the caller, and cost
/// the same: one `get-many` of the record and its health document (none for an id that cannot
/// be a connection id), two SHA-256 hashes of the presented token and two constant-time
/// comparisons: with the current token's hash and with the previous one's, or
/// [`token::TokenHash::unmatchable`] in place of whichever is missing.
///
/// Expiry follows one rule for every host: the grace period ends at the instant stored when the
/// token was regenerated, and the first host whose clock reaches it retires the previous token
/// in the store (one write, once), after which no host accepts it whatever its clock says.
pub fn authenticate(app: &App<'_>, id: &str, presented: &str) -> Result<Option<Authenticated>, StorageError> {
    let (record, health) = if ids::is_connection_id(id) {
        let found = app.store.get_many(&[keys::connection(id), keys::health(id)])?;
        let mut found = found.into_iter();
        let record = found.next().flatten();
        let health = HealthDoc::decode(found.next().flatten().as_deref());
        (connections::visible_record(app.store, id, record.as_deref())?, health)
    } else {
        (None, HealthDoc::default())
    };
    let now = app.now();
    let unmatchable = token::TokenHash::unmatchable();
    let current = record.as_ref().map_or(&unmatchable, |record| &record.token_hash);
    let previous = record.as_ref().and_then(|r| r.previous_token(now)).map_or(&unmatchable, |(hash, _)| hash);
    let matches_current = current.verify(presented);
    let matches_previous = previous.verify(presented);
    let Some(record) = record else { return Ok(None) };
    if record.previous_token_lapsed(now) {
        retire_previous_token(app, &record.id, now)?;
    }
    Ok((matches_current || matches_previous).then_some(Authenticated { record, health }))
}

/// Forgets the previous token of connection `id` once its grace period is over at `now`.
fn retire_previous_token(app: &App<'_>, id: &str, now: i64) -> Result<(), StorageError> {
    match connections::modify(app.store, id, |record| {
        if record.previous_token_lapsed(now) {
            record.previous_token_hash = None;
            record.previous_token_expires = None;
        }
    }) {
        Ok(_) | Err(ConnectionWriteError::NotFound | ConnectionWriteError::NameTaken) => Ok(()),
        Err(ConnectionWriteError::Storage(e)) => Err(e),
    }
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
        assert_eq!(list_all(&app, None).expect("list").len(), 1);
    }

    #[test]
    fn rename_frees_the_old_name() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let a = create(&app, Some("Old"), None).expect("create");
        rename(&app, &a.connection.record.id, "New", None).expect("rename");
        create(&app, Some("Old"), None).expect("old name is free again");
        let names: Vec<String> = list_all(&app, None).expect("list").into_iter().map(|v| v.record.name).collect();
        assert_eq!(names, vec!["New".to_owned(), "Old".to_owned()]);
    }

    #[test]
    fn regenerated_token_replaces_the_old_one() {
        let (store, env) = setup();
        let app = App::new(&store, &env);
        let a = create(&app, None, None).expect("create");
        let id = a.connection.record.id.clone();
        assert!(authenticate(&app, &id, &a.token).expect("auth").is_some());
        let b = regenerate_token(&app, &id, 0, None).expect("regenerate");
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
        assert_eq!(list_all(&app, None).expect("list")[0].record.id, keep.connection.record.id);
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
            assert_eq!(compares, 2, "{case}: two constant-time comparisons (current and previous token)");
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
        assert_eq!(right, BTreeMap::from([("get-many", 1)]));
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
