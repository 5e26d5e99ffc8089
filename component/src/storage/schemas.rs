//! Registered custom extension schemas: one document per scope, `schemas-tenant` for the
//! whole tenant and `schemas/{c}` for one connection, each `{"schemas": [definition…]}`.
//!
//! One document per scope makes every change a single-key CAS ([`crate::store::update`]):
//! nothing to order, nothing for a crash to leave half done. A SCIM request reads both of its
//! connection's scopes with one `get-many` ([`for_connection`]). A connection's document is
//! one of its keys: deleting the connection deletes it, and `idplex check` reports it as an
//! orphan if a deletion was cut short.

use serde::{Deserialize, Serialize};

use super::{StorageError, decode, encode, keys};
use crate::scim::schema::custom::CustomSchema;
use crate::store::{KvStore, Update, update};

/// Most schemas one scope holds (with [`crate::scim::schema::custom::MAX_SCHEMA_BYTES`] each,
/// a document stays below 512 KiB, half of Spin's value limit).
pub const MAX_SCHEMAS_PER_SCOPE: usize = 16;

/// Where a schema is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// For every connection.
    Tenant,
    /// For the connection with this id only.
    Connection(&'a str),
}

impl Scope<'_> {
    fn key(self) -> String {
        match self {
            Scope::Tenant => keys::TENANT_SCHEMAS.to_owned(),
            Scope::Connection(id) => keys::connection_schemas(id),
        }
    }
}

/// Why a schema change did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaWriteError {
    /// No schema with that URN in the scope.
    NotFound,
    /// A schema with that URN is already registered (in the scope, or tenant-wide for a
    /// connection's).
    Exists,
    /// The scope holds [`MAX_SCHEMAS_PER_SCOPE`] schemas already.
    TooMany,
    /// Storage failed.
    Storage(StorageError),
}

impl From<StorageError> for SchemaWriteError {
    fn from(e: StorageError) -> Self {
        SchemaWriteError::Storage(e)
    }
}

impl From<crate::store::StoreError> for SchemaWriteError {
    fn from(e: crate::store::StoreError) -> Self {
        SchemaWriteError::Storage(e.into())
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Document {
    schemas: Vec<CustomSchema>,
}

fn parse(key: &str, bytes: Option<&[u8]>) -> Result<Vec<CustomSchema>, StorageError> {
    Ok(bytes.map(|b| decode::<Document>(key, b)).transpose()?.unwrap_or_default().schemas)
}

/// The schemas registered in `scope`, in registration order. One `get`.
pub fn read(store: &dyn KvStore, scope: Scope<'_>) -> Result<Vec<CustomSchema>, StorageError> {
    let key = scope.key();
    parse(&key, store.get(&key)?.as_deref())
}

/// The schemas connection `id` sees: its own, then the tenant's whose URN it does not
/// define itself (a connection's definition wins). One `get-many`.
pub fn for_connection(store: &dyn KvStore, id: &str) -> Result<Vec<CustomSchema>, StorageError> {
    let keys = [keys::connection_schemas(id), keys::TENANT_SCHEMAS.to_owned()];
    let mut values = store.get_many(&keys)?.into_iter();
    let mut own = parse(&keys[0], values.next().flatten().as_deref())?;
    let tenant = parse(&keys[1], values.next().flatten().as_deref())?;
    let tenant: Vec<CustomSchema> =
        tenant.into_iter().filter(|t| !own.iter().any(|o| o.id.eq_ignore_ascii_case(&t.id))).collect();
    own.extend(tenant);
    Ok(own)
}

fn change(
    store: &dyn KvStore,
    scope: Scope<'_>,
    mut apply: impl FnMut(&mut Vec<CustomSchema>) -> Result<(), SchemaWriteError>,
) -> Result<(), SchemaWriteError> {
    let key = scope.key();
    update(store, &key, |current| {
        let mut schemas = parse(&key, current)?;
        apply(&mut schemas)?;
        Ok(Update::Write(encode(&Document { schemas }), ()))
    })
}

fn position(schemas: &[CustomSchema], urn: &str) -> Option<usize> {
    schemas.iter().position(|s| s.id.eq_ignore_ascii_case(urn))
}

/// Registers a new schema in `scope`.
pub fn create(store: &dyn KvStore, scope: Scope<'_>, schema: &CustomSchema) -> Result<(), SchemaWriteError> {
    if let Scope::Connection(_) = scope
        && position(&read(store, Scope::Tenant)?, &schema.id).is_some()
    {
        return Err(SchemaWriteError::Exists);
    }
    change(store, scope, |schemas| {
        if position(schemas, &schema.id).is_some() {
            return Err(SchemaWriteError::Exists);
        }
        if schemas.len() >= MAX_SCHEMAS_PER_SCOPE {
            return Err(SchemaWriteError::TooMany);
        }
        schemas.push(schema.clone());
        Ok(())
    })
}

/// Replaces the definition of the schema `schema.id` registered in `scope`.
pub fn replace(store: &dyn KvStore, scope: Scope<'_>, schema: &CustomSchema) -> Result<(), SchemaWriteError> {
    change(store, scope, |schemas| {
        let at = position(schemas, &schema.id).ok_or(SchemaWriteError::NotFound)?;
        schemas[at] = schema.clone();
        Ok(())
    })
}

/// Unregisters schema `urn` from `scope`. Values stored under it stay, as an unknown
/// extension's would.
pub fn remove(store: &dyn KvStore, scope: Scope<'_>, urn: &str) -> Result<(), SchemaWriteError> {
    change(store, scope, |schemas| {
        let at = position(schemas, urn).ok_or(SchemaWriteError::NotFound)?;
        schemas.remove(at);
        Ok(())
    })
}

/// Deletes connection `id`'s document (the connection is being purged).
pub fn forget(store: &dyn KvStore, id: &str) -> Result<(), StorageError> {
    Ok(store.delete(&keys::connection_schemas(id))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;
    use serde_json::json;

    fn schema(urn: &str) -> CustomSchema {
        CustomSchema::parse(json!({"id": urn, "resourceType": "User", "attributes": [{"name": "a", "type": "string"}]}))
            .expect("valid")
    }

    #[test]
    fn a_connection_sees_its_own_schemas_then_the_tenants() {
        let store = MemoryStore::default();
        create(&store, Scope::Tenant, &schema("urn:t:one")).expect("tenant");
        create(&store, Scope::Connection("c1"), &schema("urn:c:two")).expect("own");
        create(&store, Scope::Connection("c2"), &schema("urn:c:three")).expect("other");
        let urns: Vec<String> = for_connection(&store, "c1").expect("read").into_iter().map(|s| s.id).collect();
        assert_eq!(urns, vec!["urn:c:two".to_owned(), "urn:t:one".to_owned()]);
    }

    #[test]
    fn urns_are_unique_per_scope_and_against_the_tenant() {
        let store = MemoryStore::default();
        create(&store, Scope::Tenant, &schema("urn:t:one")).expect("tenant");
        assert_eq!(create(&store, Scope::Tenant, &schema("URN:T:ONE")), Err(SchemaWriteError::Exists));
        assert_eq!(create(&store, Scope::Connection("c"), &schema("urn:t:one")), Err(SchemaWriteError::Exists));
        assert_eq!(replace(&store, Scope::Connection("c"), &schema("urn:t:one")), Err(SchemaWriteError::NotFound));
        remove(&store, Scope::Tenant, "urn:T:one").expect("remove");
        assert_eq!(remove(&store, Scope::Tenant, "urn:t:one"), Err(SchemaWriteError::NotFound));
        assert!(read(&store, Scope::Tenant).expect("read").is_empty());
    }

    #[test]
    fn a_scope_holds_a_bounded_number_of_schemas() {
        let store = MemoryStore::default();
        for i in 0..MAX_SCHEMAS_PER_SCOPE {
            create(&store, Scope::Tenant, &schema(&format!("urn:t:s{i}"))).expect("room");
        }
        assert_eq!(create(&store, Scope::Tenant, &schema("urn:t:last")), Err(SchemaWriteError::TooMany));
    }
}
