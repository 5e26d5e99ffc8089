//! The component's typed `idplex:scim/admin` export, for embedders that manage connections
//! without HTTP: [`Host::admin`] returns an [`Admin`] whose methods each call the export on a
//! fresh instance. The operations, their rules and their audit events are the component's;
//! this module only moves values across.

pub use crate::bindings::exports::idplex::scim::admin::{
    Actor, AuditEvent, AuditPage, Connection, EndGroup, EndUser, Error, Failure, GroupPage, GroupQuery, GroupRef,
    GroupSortKey, Health, IssuedCredential, SortOrder, UserDetail, UserPage, UserQuery, UserSortKey,
};
use crate::host::Host;

/// The outcome of one admin call: the export's own answer, or an error when the guest trapped
/// or hit a limit.
pub type AdminResult<T> = anyhow::Result<Result<T, Error>>;

/// The typed admin interface of a [`Host`] (see `wit/admin.wit` for each operation).
pub struct Admin<'a> {
    pub(crate) host: &'a Host,
}

impl Admin<'_> {
    /// `create-connection`.
    pub fn create_connection(&self, name: Option<&str>) -> AdminResult<IssuedCredential> {
        self.host.call_admin(|admin, store| admin.call_create_connection(store, name))
    }

    /// `list-connections`.
    pub fn list_connections(&self) -> AdminResult<Vec<Connection>> {
        self.host.call_admin(|admin, store| admin.call_list_connections(store))
    }

    /// `get-connection`.
    pub fn get_connection(&self, id: &str) -> AdminResult<Connection> {
        self.host.call_admin(|admin, store| admin.call_get_connection(store, id))
    }

    /// `rename-connection`.
    pub fn rename_connection(&self, id: &str, name: &str) -> AdminResult<Connection> {
        self.host.call_admin(|admin, store| admin.call_rename_connection(store, id, name))
    }

    /// `regenerate-token`.
    pub fn regenerate_token(&self, id: &str, grace_seconds: u32) -> AdminResult<IssuedCredential> {
        self.host.call_admin(|admin, store| admin.call_regenerate_token(store, id, grace_seconds))
    }

    /// `set-connection-enabled`.
    pub fn set_connection_enabled(&self, id: &str, enabled: bool) -> AdminResult<Connection> {
        self.host.call_admin(|admin, store| admin.call_set_connection_enabled(store, id, enabled))
    }

    /// `delete-connection`.
    pub fn delete_connection(&self, id: &str) -> AdminResult<()> {
        self.host.call_admin(|admin, store| admin.call_delete_connection(store, id))
    }

    /// `list-users`.
    pub fn list_users(&self, query: &UserQuery) -> AdminResult<UserPage> {
        self.host.call_admin(|admin, store| admin.call_list_users(store, query))
    }

    /// `get-user`.
    pub fn get_user(&self, connection: &str, id: &str) -> AdminResult<UserDetail> {
        self.host.call_admin(|admin, store| admin.call_get_user(store, connection, id))
    }

    /// `list-groups`.
    pub fn list_groups(&self, query: &GroupQuery) -> AdminResult<GroupPage> {
        self.host.call_admin(|admin, store| admin.call_list_groups(store, query))
    }

    /// `list-audit`.
    pub fn list_audit(&self, connection: Option<&str>, before: Option<&str>, count: u32) -> AdminResult<AuditPage> {
        self.host.call_admin(|admin, store| admin.call_list_audit(store, connection, before, count))
    }
}
