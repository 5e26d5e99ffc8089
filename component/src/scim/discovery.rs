//! Discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`.
//! Everything here is generated from what the server really does, from the schema tables and
//! from the custom extension schemas registered for the connection.

use serde_json::{Value, json};

use super::limits::{DEFAULT_PAGE_SIZE, MAX_BULK_OPERATIONS, MAX_BULK_PAYLOAD_BYTES, MAX_PAGE_SIZE};
use super::list::list_response;
use super::resource_type::{GROUP, ResourceType, USER};
use super::schema::{
    Attribute, ENTERPRISE_USER, ENTERPRISE_USER_ATTRIBUTES, Extension, GROUP as GROUP_URN, GROUP_ATTRIBUTES,
    Mutability, Returned, Type, USER as USER_URN, USER_ATTRIBUTES, Uniqueness,
};

/// A discovery document (RFC 7644 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document<'a> {
    /// `/ServiceProviderConfig`.
    ServiceProviderConfig,
    /// `/ResourceTypes`, or one by name.
    ResourceTypes(Option<&'a str>),
    /// `/Schemas`, or one by URN.
    Schemas(Option<&'a str>),
}

/// The document for a connection whose registered custom extensions are `custom`; `None`
/// when the named resource type or schema does not exist.
pub fn document(base: &str, document: Document<'_>, custom: &[Extension<'_>]) -> Option<Value> {
    match document {
        Document::ServiceProviderConfig => Some(service_provider_config(base)),
        Document::ResourceTypes(name) => resource_types(base, name, custom),
        Document::Schemas(id) => schemas(base, id, custom),
    }
}

/// The resource types served.
pub static RESOURCE_TYPES: &[&ResourceType] = &[&USER, &GROUP];

const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// `/ServiceProviderConfig`.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC],
        "documentationUri": "https://github.com/idplex/idplex/blob/main/docs/scim-conformance.md",
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": MAX_BULK_OPERATIONS, "maxPayloadSize": MAX_BULK_PAYLOAD_BYTES},
        "filter": {"supported": true, "maxResults": MAX_PAGE_SIZE},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": DEFAULT_PAGE_SIZE,
            "maxPageSize": MAX_PAGE_SIZE
        },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with the connection's bearer token (Authorization: Bearer idplex_...)",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

fn resource_type(kind: &ResourceType, base: &str, custom: &[Extension<'_>]) -> Value {
    let extensions: Vec<Value> = kind
        .schema
        .with_custom(custom)
        .all_extensions()
        .map(|(urn, _)| json!({"schema": urn, "required": false}))
        .collect();
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": kind.name,
        "name": kind.name,
        "endpoint": kind.endpoint,
        "description": format!("{} provisioned by this connection's identity provider", kind.name),
        "schema": kind.schema.core,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", kind.name)},
    })
}

/// `/ResourceTypes` (a ListResponse) or one of them by name.
pub fn resource_types(base: &str, name: Option<&str>, custom: &[Extension<'_>]) -> Option<Value> {
    match name {
        None => Some(list_response(
            RESOURCE_TYPES.len(),
            0,
            RESOURCE_TYPES.iter().map(|k| resource_type(k, base, custom)).collect(),
        )),
        Some(name) => {
            RESOURCE_TYPES.iter().find(|k| k.name.eq_ignore_ascii_case(name)).map(|k| resource_type(k, base, custom))
        }
    }
}

fn attribute(a: &Attribute) -> Value {
    let kind = match a.kind {
        Type::String => "string",
        Type::Boolean => "boolean",
        Type::Decimal => "decimal",
        Type::Integer => "integer",
        Type::DateTime => "dateTime",
        Type::Binary => "binary",
        Type::Reference => "reference",
        Type::Complex => "complex",
    };
    let mutability = match a.mutability {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
        Mutability::WriteOnly => "writeOnly",
    };
    let returned = match a.returned {
        Returned::Always => "always",
        Returned::Never => "never",
        Returned::Default => "default",
        Returned::Request => "request",
    };
    let uniqueness = match a.uniqueness {
        Uniqueness::None => "none",
        Uniqueness::Server => "server",
        Uniqueness::Global => "global",
    };
    let mut out = json!({
        "name": a.name,
        "type": kind,
        "multiValued": a.multi_valued,
        "description": a.description,
        "required": a.required,
        "caseExact": a.case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    });
    if !a.canonical_values.is_empty() {
        out["canonicalValues"] = json!(a.canonical_values.to_vec());
    }
    if !a.reference_types.is_empty() {
        out["referenceTypes"] = json!(a.reference_types.to_vec());
    }
    if !a.sub_attributes.is_empty() {
        out["subAttributes"] = Value::Array(a.sub_attributes.iter().map(attribute).collect());
    }
    out
}

fn schema(id: &str, name: &str, description: &str, attributes: &[Attribute], base: &str) -> Value {
    json!({
        "schemas": [SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes.iter().map(attribute).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

fn all_schemas(base: &str, custom: &[Extension<'_>]) -> Vec<Value> {
    let mut all = vec![
        schema(USER_URN, "User", "User Account", USER_ATTRIBUTES, base),
        schema(GROUP_URN, "Group", "Group", GROUP_ATTRIBUTES, base),
        schema(ENTERPRISE_USER, "EnterpriseUser", "Enterprise User", ENTERPRISE_USER_ATTRIBUTES, base),
    ];
    all.extend(custom.iter().map(|e| schema(e.urn, e.name, e.description, &e.attributes, base)));
    all
}

/// `/Schemas` (a ListResponse) or one schema by URN.
pub fn schemas(base: &str, id: Option<&str>, custom: &[Extension<'_>]) -> Option<Value> {
    let all = all_schemas(base, custom);
    match id {
        None => Some(list_response(all.len(), 0, all)),
        Some(id) => all.into_iter().find(|s| s["id"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(id))),
    }
}
