//! The WIT boundary: generated bindings and glue that only converts types.
//!
//! `WasiStore` implements [`KvStore`] over `wasi:keyvalue` draft2, `WasiEnv` implements
//! [`Env`] over `wasi:random`, `wasi:config` and the wall clock, and `Component` implements
//! the exported `handler` and `admin` interfaces by calling the domain code.

use std::collections::HashMap;
use std::rc::Rc;

use crate::app::App;
use crate::connection::{self, ConnectionError, ConnectionView, Issued};
use crate::end_users::detail::UserDetail;
use crate::end_users::groups::{GroupPage, GroupQuery, GroupSortKey};
use crate::end_users::{self, EndUser, SortKey, SortOrder, UserPage, UserQuery};
use crate::env::Env;
use crate::store::clock::SystemClock;
use crate::store::{CasHandle, Clock, ExclusiveCreate, KvStore, StoreError, SwapError, Tolerant};
use crate::time::Timestamp;

wit_bindgen::generate!({
    world: "provider",
    path: "../wit",
    generate_all,
});

use exports::idplex::scim::admin as wit_admin;
use exports::idplex::scim::handler as wit_handler;
use exports::idplex::scim::maintenance as wit_maintenance;
use wasi::keyvalue::{atomics, batch, store as kv};

/// The bucket every instance opens.
const BUCKET: &str = "default";

fn store_error(e: kv::Error) -> StoreError {
    StoreError(match e {
        kv::Error::NoSuchStore => "no such store".into(),
        kv::Error::AccessDenied => "access denied".into(),
        kv::Error::Other(message) => message,
    })
}

struct WasiStore {
    bucket: kv::Bucket,
}

impl WasiStore {
    fn open() -> Result<Self, StoreError> {
        kv::open(BUCKET).map(|bucket| WasiStore { bucket }).map_err(store_error)
    }

    /// The bucket as the product uses it: tolerant of a failing `get-many`, with exclusive
    /// creation of keys.
    fn open_for_product() -> Result<ExclusiveCreate, StoreError> {
        let store: Rc<dyn KvStore> = Rc::new(Tolerant::new(Self::open()?));
        Ok(ExclusiveCreate::new(store, Rc::new(SystemClock)))
    }
}

impl KvStore for WasiStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.bucket.get(key).map_err(store_error)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.bucket.set(key, value).map_err(store_error)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.bucket.delete(key).map_err(store_error)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Hosts differ: some answer in input order, some only with the keys found.
        let mut found: HashMap<String, Option<Vec<u8>>> =
            batch::get_many(&self.bucket, keys).map_err(store_error)?.into_iter().collect();
        Ok(keys.iter().map(|k| found.remove(k).flatten()).collect())
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        batch::set_many(&self.bucket, entries).map_err(store_error)
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        batch::delete_many(&self.bucket, keys).map_err(store_error)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        atomics::increment(&self.bucket, key, delta).map_err(store_error)
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        let response = self.bucket.list_keys(cursor).map_err(store_error)?;
        Ok((response.keys, response.cursor))
    }

    fn cas(&self, key: &str) -> Result<Box<dyn CasHandle>, StoreError> {
        let cas = atomics::Cas::new(&self.bucket, key).map_err(store_error)?;
        Ok(Box::new(WasiCas(cas)))
    }
}

struct WasiCas(atomics::Cas);

impl CasHandle for WasiCas {
    fn current(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.current().map_err(store_error)
    }

    fn swap(self: Box<Self>, value: Vec<u8>) -> Result<(), SwapError> {
        match atomics::swap(self.0, &value) {
            Ok(()) => Ok(()),
            Err(atomics::CasError::CasFailed(fresh)) => Err(SwapError::Conflict(Box::new(WasiCas(fresh)))),
            Err(atomics::CasError::StoreError(e)) => Err(SwapError::Store(store_error(e))),
        }
    }
}

struct WasiEnv;

impl Env for WasiEnv {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(SystemClock.now_millis())
    }

    fn fill_random(&self, buf: &mut [u8]) {
        let bytes = wasi::random::random::get_random_bytes(buf.len() as u64);
        buf.copy_from_slice(&bytes[..buf.len()]);
    }

    fn config(&self, key: &str) -> Option<String> {
        wasi::config::store::get(key).ok().flatten()
    }
}

struct Component;

export!(Component);

/// The answer when the bucket cannot even be opened: the same 503 (with `Retry-After`) as any
/// other store failure. The store's message is not shown to clients.
fn storage_unavailable(_e: &StoreError) -> crate::http::Response {
    crate::scim::error::ScimError::unavailable().to_response()
}

impl wit_handler::Guest for Component {
    fn handle(request: wit_handler::Request) -> wit_handler::Response {
        let request =
            crate::http::Request::new(&request.method, &request.path_with_query, request.headers, request.body);
        let response = match WasiStore::open_for_product() {
            Ok(store) => crate::handle(&App::new(&store, &WasiEnv), &request),
            Err(e) => storage_unavailable(&e),
        };
        wit_handler::Response { status: response.status, headers: response.headers, body: response.body }
    }
}

fn admin_error(e: ConnectionError) -> wit_admin::Error {
    match e {
        ConnectionError::NotFound => wit_admin::Error::NotFound,
        ConnectionError::InvalidArgument(why) => wit_admin::Error::InvalidArgument(why),
        ConnectionError::NameTaken => wit_admin::Error::NameTaken,
        ConnectionError::Storage(e) => wit_admin::Error::Storage(e.to_string()),
    }
}

fn time(millis: i64) -> String {
    Timestamp::from_millis(millis).to_string()
}

fn wit_connection(view: ConnectionView) -> wit_admin::Connection {
    wit_admin::Connection {
        id: view.record.id,
        name: view.record.name,
        scim_url: view.scim_url,
        created: time(view.record.created),
        last_modified: time(view.record.last_modified),
        token_issued: time(view.record.token_issued),
        user_count: view.stats.users,
        group_count: view.stats.groups,
        enabled: view.record.enabled,
        token_hint: view.record.token_hint,
        previous_token_expires: view
            .record
            .previous_token_expires
            .filter(|_| view.record.previous_token_hash.is_some())
            .map(time),
        health: wit_admin::Health {
            active_users: view.health.active_users,
            inactive_users: view.health.inactive_users,
            groups: view.health.groups,
            last_success_at: view.health.last_success_at.map(time),
            last_failure: view.health.last_failure.map(|f| wit_admin::Failure {
                at: time(f.at),
                status: f.status,
                detail: f.detail,
            }),
            requests24h: view.health.requests_24h,
        },
    }
}

fn wit_event(event: crate::activity::Event) -> wit_admin::AuditEvent {
    wit_admin::AuditEvent {
        at: time(event.at),
        actor: match event.actor {
            crate::activity::Actor::Admin => wit_admin::Actor::Admin,
            crate::activity::Actor::Idp => wit_admin::Actor::Idp,
        },
        connection_id: event.connection_id,
        connection_name: event.connection_name,
        action: event.action.name(),
        resource_type: event.resource_type,
        resource_id: event.resource_id,
        detail: event.detail,
    }
}

fn wit_issued(issued: Issued) -> wit_admin::IssuedCredential {
    wit_admin::IssuedCredential { connection: wit_connection(issued.connection), token: issued.token }
}

fn wit_user(user: EndUser) -> wit_admin::EndUser {
    wit_admin::EndUser {
        id: user.id,
        connection_id: user.connection_id,
        connection_name: user.connection_name,
        connection_enabled: user.connection_enabled,
        user_name: user.user_name,
        display_name: user.display_name,
        given_name: user.given_name,
        family_name: user.family_name,
        email: user.email,
        external_id: user.external_id,
        active: user.active,
        created: user.created,
        last_modified: user.last_modified,
        duplicate: user.duplicate,
    }
}

fn wit_page(page: UserPage) -> wit_admin::UserPage {
    wit_admin::UserPage {
        total_results: page.total_results,
        start_index: page.start_index,
        users: page.users.into_iter().map(wit_user).collect(),
    }
}

fn sort_order(order: wit_admin::SortOrder) -> SortOrder {
    match order {
        wit_admin::SortOrder::Ascending => SortOrder::Ascending,
        wit_admin::SortOrder::Descending => SortOrder::Descending,
    }
}

fn user_query(query: wit_admin::UserQuery) -> UserQuery {
    UserQuery {
        connections: query.connection_ids,
        active: query.active,
        search: query.search,
        sort_by: query.sort_by.map(|key| match key {
            wit_admin::UserSortKey::UserName => SortKey::UserName,
            wit_admin::UserSortKey::Name => SortKey::Name,
            wit_admin::UserSortKey::Email => SortKey::Email,
            wit_admin::UserSortKey::Connection => SortKey::Connection,
            wit_admin::UserSortKey::LastModified => SortKey::LastModified,
        }),
        sort_order: sort_order(query.sort_order),
        duplicates: query.duplicates,
        start_index: query.start_index,
        count: query.count,
    }
}

fn wit_detail(detail: UserDetail) -> wit_admin::UserDetail {
    wit_admin::UserDetail {
        user_json: detail.user.to_string(),
        groups: detail
            .groups
            .into_iter()
            .map(|g| wit_admin::GroupRef { id: g.id, display_name: g.display_name })
            .collect(),
        connection_id: detail.connection.id,
        connection_name: detail.connection.name,
        connection_enabled: detail.connection_enabled,
    }
}

fn group_query(query: wit_admin::GroupQuery) -> GroupQuery {
    GroupQuery {
        connections: query.connection_ids,
        search: query.search,
        sort_by: query.sort_by.map(|key| match key {
            wit_admin::GroupSortKey::DisplayName => GroupSortKey::DisplayName,
            wit_admin::GroupSortKey::Connection => GroupSortKey::Connection,
            wit_admin::GroupSortKey::LastModified => GroupSortKey::LastModified,
        }),
        sort_order: sort_order(query.sort_order),
        start_index: query.start_index,
        count: query.count,
    }
}

fn wit_group_page(page: GroupPage) -> wit_admin::GroupPage {
    wit_admin::GroupPage {
        total_results: page.total_results,
        start_index: page.start_index,
        groups: page
            .groups
            .into_iter()
            .map(|g| wit_admin::EndGroup {
                id: g.id,
                connection_id: g.connection_id,
                connection_name: g.connection_name,
                display_name: g.display_name,
                external_id: g.external_id,
                member_count: g.member_count,
                created: g.created,
                last_modified: g.last_modified,
            })
            .collect(),
    }
}

fn with_app<T>(f: impl FnOnce(&App<'_>, Option<&str>) -> Result<T, ConnectionError>) -> Result<T, wit_admin::Error> {
    let store = WasiStore::open_for_product().map_err(|e| wit_admin::Error::Storage(e.to_string()))?;
    let app = App::new(&store, &WasiEnv);
    let base = app.public_base_url();
    f(&app, base.as_deref()).map_err(admin_error)
}

impl wit_admin::Guest for Component {
    fn create_connection(name: Option<String>) -> Result<wit_admin::IssuedCredential, wit_admin::Error> {
        with_app(|app, base| connection::create(app, name.as_deref(), base)).map(wit_issued)
    }

    fn list_connections() -> Result<Vec<wit_admin::Connection>, wit_admin::Error> {
        with_app(connection::list_all).map(|all| all.into_iter().map(wit_connection).collect())
    }

    fn get_connection(id: String) -> Result<wit_admin::Connection, wit_admin::Error> {
        with_app(|app, base| connection::get(app, &id, base)).map(wit_connection)
    }

    fn rename_connection(id: String, name: String) -> Result<wit_admin::Connection, wit_admin::Error> {
        with_app(|app, base| connection::rename(app, &id, &name, base)).map(wit_connection)
    }

    fn regenerate_token(id: String, grace_seconds: u32) -> Result<wit_admin::IssuedCredential, wit_admin::Error> {
        with_app(|app, base| connection::regenerate_token(app, &id, grace_seconds, base)).map(wit_issued)
    }

    fn set_connection_enabled(id: String, enabled: bool) -> Result<wit_admin::Connection, wit_admin::Error> {
        with_app(|app, base| connection::set_enabled(app, &id, enabled, base)).map(wit_connection)
    }

    fn list_audit(
        connection_id: Option<String>,
        before: Option<String>,
        count: u32,
    ) -> Result<wit_admin::AuditPage, wit_admin::Error> {
        let page = with_app(|app, _| {
            crate::activity::audit::read(app.store, connection_id.as_deref(), before.as_deref(), count).map_err(|e| {
                match e {
                    crate::activity::audit::FeedError::InvalidArgument(why) => ConnectionError::InvalidArgument(why),
                    crate::activity::audit::FeedError::Storage(e) => ConnectionError::Storage(e),
                }
            })
        })?;
        Ok(wit_admin::AuditPage {
            events: page.events.into_iter().map(wit_event).collect(),
            next_cursor: page.next_cursor.map(|c| c.to_string()),
        })
    }

    fn delete_connection(id: String) -> Result<(), wit_admin::Error> {
        with_app(|app, _| connection::delete(app, &id))
    }

    fn list_users(query: wit_admin::UserQuery) -> Result<wit_admin::UserPage, wit_admin::Error> {
        with_app(|app, _| end_users::list(app, &user_query(query))).map(wit_page)
    }

    fn get_user(connection_id: String, id: String) -> Result<wit_admin::UserDetail, wit_admin::Error> {
        match with_app(|app, base| end_users::detail::get(app, &connection_id, &id, base))? {
            Some(detail) => Ok(wit_detail(detail)),
            None => Err(wit_admin::Error::NotFound),
        }
    }

    fn list_groups(query: wit_admin::GroupQuery) -> Result<wit_admin::GroupPage, wit_admin::Error> {
        with_app(|app, _| end_users::groups::list(app, &group_query(query))).map(wit_group_page)
    }
}

impl wit_maintenance::Guest for Component {
    fn check(options: wit_maintenance::CheckOptions) -> Result<wit_maintenance::Report, String> {
        let store = WasiStore::open_for_product().map_err(|e| e.to_string())?;
        let options = crate::maintenance::Options { repair: options.repair, now: options.now_millis };
        let report = crate::maintenance::check(&App::new(&store, &WasiEnv), options).map_err(|e| e.to_string())?;
        Ok(wit_report(report))
    }

    fn reclaim(budget: u32) -> Result<wit_maintenance::ReclaimProgress, String> {
        let store = WasiStore::open_for_product().map_err(|e| e.to_string())?;
        let progress = crate::reclaim::step(&App::new(&store, &WasiEnv), budget as usize).map_err(|e| e.to_string())?;
        Ok(wit_maintenance::ReclaimProgress {
            pending: progress.pending,
            reclaimed_keys: progress.reclaimed_keys,
            finished_connections: progress.finished_connections,
            busy: progress.busy,
        })
    }
}

fn wit_report(report: crate::maintenance::Report) -> wit_maintenance::Report {
    wit_maintenance::Report {
        keys: report.keys,
        connections: report.connections,
        users: report.users,
        groups: report.groups,
        memberships: report.memberships,
        unfinished: report
            .unfinished
            .into_iter()
            .map(|u| wit_maintenance::Unfinished {
                kind: u.kind.to_owned(),
                key: u.key,
                detail: u.detail,
                in_flight: u.in_flight,
                finished: u.finished,
            })
            .collect(),
        violations: report
            .violations
            .into_iter()
            .map(|v| wit_maintenance::Violation {
                kind: v.kind.to_owned(),
                key: v.key,
                detail: v.detail,
                repaired: v.repaired,
            })
            .collect(),
        omitted: report.omitted,
    }
}
