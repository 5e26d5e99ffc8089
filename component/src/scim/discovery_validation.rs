//! The discovery documents checked against strict types written from RFC 7643 §5–7 and RFC
//! 9865 §4: every member known (`deny_unknown_fields`), every type and enumeration as the RFCs
//! define it, and the value rules strict clients apply (positive limits and page sizes, a
//! `referenceTypes` on every reference, sub-attributes only on complex attributes).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::testing::{Harness, TestConnection};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Supported {
    supported: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Bulk {
    supported: bool,
    max_operations: u64,
    max_payload_size: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FilterConfig {
    supported: bool,
    max_results: u64,
}

/// RFC 9865 §4: `cursorTimeout`, when present, is a positive number of seconds.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Pagination {
    cursor: bool,
    index: bool,
    default_pagination_method: Option<PaginationMethod>,
    default_page_size: Option<u64>,
    max_page_size: Option<u64>,
    cursor_timeout: Option<u64>,
}

#[derive(Deserialize, PartialEq, Debug)]
#[serde(rename_all = "camelCase")]
enum PaginationMethod {
    Cursor,
    Index,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AuthenticationScheme {
    #[serde(rename = "type")]
    kind: AuthenticationType,
    name: String,
    description: String,
    spec_uri: Option<String>,
    documentation_uri: Option<String>,
    primary: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum AuthenticationType {
    Oauth,
    Oauth2,
    Oauthbearertoken,
    Httpbasic,
    Httpdigest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Meta {
    resource_type: String,
    location: String,
    created: Option<String>,
    last_modified: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ServiceProviderConfig {
    schemas: Vec<String>,
    documentation_uri: Option<String>,
    patch: Supported,
    bulk: Bulk,
    filter: FilterConfig,
    change_password: Supported,
    sort: Supported,
    etag: Supported,
    pagination: Option<Pagination>,
    authentication_schemes: Vec<AuthenticationScheme>,
    meta: Option<Meta>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SchemaExtension {
    schema: String,
    required: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ResourceType {
    schemas: Vec<String>,
    id: Option<String>,
    name: String,
    description: Option<String>,
    endpoint: String,
    schema: String,
    schema_extensions: Option<Vec<SchemaExtension>>,
    meta: Option<Meta>,
}

#[derive(Deserialize, PartialEq, Clone, Copy, Debug)]
#[serde(rename_all = "camelCase")]
enum AttributeType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
    Binary,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum MutabilityValue {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum ReturnedValue {
    Always,
    Never,
    Default,
    Request,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum UniquenessValue {
    None,
    Server,
    Global,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AttributeDefinition {
    name: String,
    #[serde(rename = "type")]
    kind: AttributeType,
    sub_attributes: Option<Vec<AttributeDefinition>>,
    multi_valued: bool,
    description: Option<String>,
    required: bool,
    canonical_values: Option<Vec<String>>,
    case_exact: Option<bool>,
    mutability: MutabilityValue,
    returned: ReturnedValue,
    uniqueness: UniquenessValue,
    reference_types: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SchemaDocument {
    schemas: Vec<String>,
    id: String,
    name: Option<String>,
    description: Option<String>,
    attributes: Vec<AttributeDefinition>,
    meta: Option<Meta>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ListResponse<T> {
    schemas: Vec<String>,
    total_results: u64,
    items_per_page: Option<u64>,
    start_index: Option<u64>,
    #[serde(rename = "Resources")]
    resources: Vec<T>,
}

fn strict<T: for<'de> Deserialize<'de>>(what: &str, value: Value) -> T {
    match serde_json::from_value(value.clone()) {
        Ok(t) => t,
        Err(e) => panic!("{what} does not validate: {e}\n{value:#}"),
    }
}

fn check_meta(meta: Option<&Meta>, resource_type: &str, path: &str) {
    let meta = meta.unwrap_or_else(|| panic!("{path} has meta"));
    assert_eq!(meta.resource_type, resource_type, "{path}");
    assert!(meta.location.ends_with(path), "{path}: meta.location {}", meta.location);
    for time in [&meta.created, &meta.last_modified].into_iter().flatten() {
        assert!(time.ends_with('Z'), "{path}: {time}");
    }
    let _ = &meta.version;
}

fn check_attribute(at: &str, a: &AttributeDefinition, nested: bool) {
    let at = format!("{at}.{}", a.name);
    // RFC 7643 §2.1 ATTRNAME (and `$ref`).
    let mut chars = a.name.chars();
    assert!(chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$'), "{at}");
    assert!(chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$')), "{at}");
    assert_eq!(
        a.kind == AttributeType::Reference,
        a.reference_types.as_ref().is_some_and(|r| !r.is_empty()),
        "{at}: referenceTypes belong to references"
    );
    match (&a.sub_attributes, a.kind) {
        (Some(subs), AttributeType::Complex) => {
            assert!(!nested, "{at}: a sub-attribute cannot be complex (RFC 7643 §2.3.8)");
            assert!(!subs.is_empty(), "{at}");
            subs.iter().for_each(|s| check_attribute(&at, s, true));
        }
        (None, AttributeType::Complex) => panic!("{at}: a complex attribute lists its subAttributes"),
        (Some(_), _) => panic!("{at}: only complex attributes have subAttributes"),
        (None, _) => {}
    }
    let _ = (&a.description, &a.canonical_values, a.case_exact, a.multi_valued, a.required);
    let _ = (&a.mutability, &a.returned, &a.uniqueness);
}

#[test]
fn every_discovery_document_validates_against_the_rfcs() {
    let h = Harness::new();
    let c = h.connection("A");
    validate_discovery(&h, &c);
}

#[test]
fn discovery_with_registered_custom_schemas_validates_against_the_rfcs() {
    let h = Harness::new();
    let c = h.connection("A");
    let tenant = json!({"id": "urn:acme:scim:hr:1.0:User", "resourceType": "User", "attributes": [
        {"name": "badge", "type": "integer", "required": true},
        {"name": "cost-center", "type": "string", "caseExact": true, "canonicalValues": ["A", "B"]},
        {"name": "homepage", "type": "reference"},
        {"name": "site", "type": "complex", "multiValued": true, "subAttributes": [
            {"name": "code", "type": "string"}, {"name": "map", "type": "reference", "referenceTypes": ["external"]}
        ]}
    ]});
    let own = json!({"id": "urn:okta:custom:1.0:Group", "resourceType": "Group", "description": "Okta group attributes",
        "attributes": [{"name": "hired", "type": "dateTime", "mutability": "immutable"}]});
    assert_eq!(h.admin("POST", "/schemas", Some(tenant)).status, 201);
    assert_eq!(h.admin("POST", &format!("/connections/{}/schemas", c.id), Some(own)).status, 201);
    let known = validate_discovery(&h, &c);
    assert!(
        known.iter().any(|u| u == "urn:acme:scim:hr:1.0:User")
            && known.iter().any(|u| u == "urn:okta:custom:1.0:Group")
    );
}

/// Validates every discovery document of connection `c`; returns the schema URNs.
fn validate_discovery(h: &Harness, c: &TestConnection) -> Vec<String> {
    let get = |path: &str| {
        // With the connection's token, as an IdP sends it: a connection's registered schemas are
        // described only then.
        let r = h.scim(c, "GET", path, None);
        assert_eq!(r.status, 200, "{path}");
        r.body_json()
    };

    let spc: ServiceProviderConfig = strict("/ServiceProviderConfig", get("/ServiceProviderConfig"));
    assert_eq!(spc.schemas, ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]);
    assert!(spc.patch.supported && spc.sort.supported && spc.etag.supported && spc.filter.supported);
    assert!(!spc.change_password.supported);
    assert!(spc.bulk.supported && spc.bulk.max_operations > 0 && spc.bulk.max_payload_size > 0);
    assert!(spc.filter.max_results > 0);
    let pagination = spc.pagination.expect("RFC 9865 pagination");
    assert!(pagination.cursor && pagination.index);
    assert!(pagination.default_pagination_method.is_some());
    assert!(pagination.default_page_size.is_some_and(|n| n > 0) && pagination.max_page_size.is_some_and(|n| n > 0));
    assert!(pagination.cursor_timeout.is_none_or(|t| t > 0), "cursorTimeout is a positive number of seconds");
    assert!(!spc.authentication_schemes.is_empty());
    for scheme in &spc.authentication_schemes {
        assert!(matches!(scheme.kind, AuthenticationType::Oauthbearertoken));
        assert!(!scheme.name.is_empty() && !scheme.description.is_empty());
        let _ = (&scheme.spec_uri, &scheme.documentation_uri, scheme.primary);
    }
    check_meta(spc.meta.as_ref(), "ServiceProviderConfig", "/ServiceProviderConfig");
    let _ = &spc.documentation_uri;

    let types: ListResponse<ResourceType> = strict("/ResourceTypes", get("/ResourceTypes"));
    assert_eq!(types.schemas, ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]);
    assert_eq!(types.total_results as usize, types.resources.len());
    assert_eq!(types.start_index, Some(1));
    let _ = types.items_per_page;
    let schema_ids: ListResponse<SchemaDocument> = strict("/Schemas", get("/Schemas"));
    let known: Vec<&str> = schema_ids.resources.iter().map(|s| s.id.as_str()).collect();
    for rt in &types.resources {
        assert_eq!(rt.schemas, ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]);
        assert!(rt.endpoint.starts_with('/'), "{}", rt.name);
        assert!(known.contains(&rt.schema.as_str()), "{} names an unknown schema", rt.name);
        for ext in rt.schema_extensions.iter().flatten() {
            assert!(known.contains(&ext.schema.as_str()), "{} names an unknown extension", rt.name);
            let _ = ext.required;
        }
        let one: ResourceType = strict("a resource type", get(&format!("/ResourceTypes/{}", rt.name)));
        assert_eq!(one.endpoint, rt.endpoint);
        check_meta(rt.meta.as_ref(), "ResourceType", &format!("/ResourceTypes/{}", rt.name));
        let _ = (&rt.id, &rt.description, &one.schemas);
    }

    assert_eq!(schema_ids.total_results as usize, schema_ids.resources.len());
    for schema in &schema_ids.resources {
        assert_eq!(schema.schemas, ["urn:ietf:params:scim:schemas:core:2.0:Schema"]);
        assert!(schema.id.starts_with("urn:"), "{}", schema.id);
        assert!(!schema.attributes.is_empty(), "{}", schema.id);
        schema.attributes.iter().for_each(|a| check_attribute(&schema.id, a, false));
        let one: SchemaDocument = strict("a schema", get(&format!("/Schemas/{}", schema.id)));
        assert_eq!(one.attributes.len(), schema.attributes.len());
        check_meta(schema.meta.as_ref(), "Schema", &format!("/Schemas/{}", schema.id));
        let _ = (&schema.name, &schema.description);
    }
    known.into_iter().map(str::to_owned).collect()
}
