//! Custom extension schemas an admin registers (Okta custom attributes, Entra extension
//! attributes): the stored definition, the rules a definition must follow
//! ([`CustomSchema::parse`]), and the [`Extension`] a request's [`super::ResourceSchema`]
//! borrows from it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::attribute::{Attribute, Mutability, Texts, Type};
use super::{ENTERPRISE_USER, GROUP, USER};

/// Longest schema URN, in characters.
pub const MAX_URN_CHARS: usize = 200;
/// Longest schema name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description (of a schema or an attribute), in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Longest attribute name, in characters.
pub const MAX_ATTRIBUTE_NAME_CHARS: usize = 64;
/// Most attributes of one schema.
pub const MAX_ATTRIBUTES: usize = 100;
/// Most sub-attributes of one complex attribute.
pub const MAX_SUB_ATTRIBUTES: usize = 20;
/// Most canonical values (or reference types) of one attribute, and the longest of them.
pub const MAX_VALUES: usize = 50;
/// Longest canonical value or reference type, in characters.
pub const MAX_VALUE_CHARS: usize = 256;
/// Largest definition, as stored JSON (bytes): 16 of them fit one store value.
pub const MAX_SCHEMA_BYTES: usize = 32 * 1024;

/// The resource type a custom schema extends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResourceKind {
    /// `User`.
    User,
    /// `Group`.
    Group,
}

impl ResourceKind {
    /// The URN of the resource type's core schema.
    pub fn core(self) -> &'static str {
        match self {
            ResourceKind::User => USER,
            ResourceKind::Group => GROUP,
        }
    }
}

/// A registered custom extension schema, as stored and as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomSchema {
    /// The schema URN: the key of the extension object in resources.
    pub id: String,
    /// A short name (default: the URN's last segment).
    #[serde(default)]
    pub name: String,
    /// A description for `/Schemas`.
    #[serde(default)]
    pub description: String,
    /// The resource type it extends.
    pub resource_type: ResourceKind,
    /// Its attributes.
    pub attributes: Vec<CustomAttribute>,
}

/// One attribute of a custom schema (RFC 7643 §7 characteristics; `returned` is always
/// `default` and `uniqueness` always `none`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomAttribute {
    /// The name (RFC 7643 `ATTRNAME`), unique among its siblings case-insensitively.
    pub name: String,
    /// The data type.
    #[serde(rename = "type")]
    pub kind: Type,
    /// Whether it holds a list of values.
    #[serde(default)]
    pub multi_valued: bool,
    /// Whether a resource carrying the extension must give it a value.
    #[serde(default)]
    pub required: bool,
    /// When it may be written (`readWrite` by default; never `writeOnly`).
    #[serde(default = "read_write")]
    pub mutability: Mutability,
    /// Whether case matters in comparisons and sorting (always for `binary`).
    #[serde(default)]
    pub case_exact: bool,
    /// A description for `/Schemas`.
    #[serde(default)]
    pub description: String,
    /// Sub-attributes of a `complex` attribute (themselves not complex).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<CustomAttribute>,
    /// Suggested values (advertised, not enforced: RFC 7643 §2.3.1 lets a server accept
    /// others).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    /// For a `reference`, what it refers to (default `external`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
}

fn read_write() -> Mutability {
    Mutability::ReadWrite
}

/// URN prefixes reserved for the SCIM RFCs' own schemas and messages.
const RESERVED_PREFIXES: &[&str] = &["urn:ietf:params:scim:schemas:core:", "urn:ietf:params:scim:api:"];

fn too_long(text: &str, max: usize) -> bool {
    text.chars().count() > max
}

/// `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA` (RFC 7643 §2.1).
pub fn is_attribute_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// A schema URN idplex accepts: `urn:` then at least two `:`-separated segments of letters,
/// digits, `.`, `-` and `_` (every IdP's extension URN is of this form, and the filter and
/// PATCH path grammar reads it back unambiguously).
pub fn is_schema_urn(urn: &str) -> bool {
    let Some(rest) = urn.get(..4).filter(|p| p.eq_ignore_ascii_case("urn:")).and_then(|_| urn.get(4..)) else {
        return false;
    };
    let segments: Vec<&str> = rest.split(':').collect();
    segments.len() >= 2
        && segments.iter().all(|s| {
            !s.is_empty()
                && !s.ends_with('.')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        })
}

/// Whether `urn` is one of the schemas idplex defines itself (core, Enterprise User) or a URN
/// reserved for them.
pub fn is_builtin_urn(urn: &str) -> bool {
    let lower = urn.to_ascii_lowercase();
    [USER, GROUP, ENTERPRISE_USER].iter().any(|u| u.eq_ignore_ascii_case(urn))
        || RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p))
}

impl CustomSchema {
    /// Reads and checks a definition an admin sent; the error says what is wrong.
    ///
    /// Fills in defaults: `name` from the URN's last segment, `referenceTypes` `external`,
    /// `caseExact` for `binary`.
    pub fn parse(value: Value) -> Result<CustomSchema, String> {
        let mut schema: CustomSchema = serde_json::from_value(value).map_err(|e| format!("schema definition: {e}"))?;
        if !is_schema_urn(&schema.id) || too_long(&schema.id, MAX_URN_CHARS) {
            return Err(format!(
                "id {:?} is not a schema URN (urn:<segment>:<segment>…, letters, digits, `.`, `-`, `_`; at most {MAX_URN_CHARS} characters)",
                schema.id
            ));
        }
        if is_builtin_urn(&schema.id) {
            return Err(format!("{} is a core or Enterprise User schema, or reserved for them", schema.id));
        }
        if schema.name.trim().is_empty() {
            schema.name = schema.id.rsplit(':').next().unwrap_or_default().to_owned();
        }
        check_text("name", &schema.name, MAX_NAME_CHARS)?;
        check_text("description", &schema.description, MAX_DESCRIPTION_CHARS)?;
        if schema.attributes.is_empty() || schema.attributes.len() > MAX_ATTRIBUTES {
            return Err(format!("a schema has 1 to {MAX_ATTRIBUTES} attributes"));
        }
        check_attributes(&mut schema.attributes, "")?;
        if serde_json::to_vec(&schema).map_or(0, |b| b.len()) > MAX_SCHEMA_BYTES {
            return Err(format!("the definition is larger than {MAX_SCHEMA_BYTES} bytes"));
        }
        Ok(schema)
    }
}

fn check_text(what: &str, text: &str, max: usize) -> Result<(), String> {
    if too_long(text, max) {
        return Err(format!("{what} is longer than {max} characters"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!("{what} holds a control character"));
    }
    Ok(())
}

fn check_attributes(attributes: &mut [CustomAttribute], parent: &str) -> Result<(), String> {
    for i in 0..attributes.len() {
        let name = attributes[i].name.clone();
        let at = format!("{parent}{name}");
        if !is_attribute_name(&name) || too_long(&name, MAX_ATTRIBUTE_NAME_CHARS) {
            return Err(format!(
                "attribute name {at:?} must start with a letter and continue with letters, digits, `-` or `_` (at most {MAX_ATTRIBUTE_NAME_CHARS} characters)"
            ));
        }
        if attributes[..i].iter().any(|a| a.name.eq_ignore_ascii_case(&name)) {
            return Err(format!("attribute {at} is defined twice (names are case-insensitive)"));
        }
        check_attribute(&mut attributes[i], &at, parent.is_empty())?;
    }
    Ok(())
}

fn check_attribute(attribute: &mut CustomAttribute, at: &str, top_level: bool) -> Result<(), String> {
    check_text(&format!("{at}.description"), &attribute.description, MAX_DESCRIPTION_CHARS)?;
    if attribute.mutability == Mutability::WriteOnly {
        return Err(format!("{at}: writeOnly is not offered (idplex stores no value it never returns)"));
    }
    match (attribute.kind, top_level) {
        (Type::Complex, false) => return Err(format!("{at}: a sub-attribute cannot be complex")),
        (Type::Complex, true) => {
            if attribute.sub_attributes.is_empty() || attribute.sub_attributes.len() > MAX_SUB_ATTRIBUTES {
                return Err(format!("{at}: a complex attribute has 1 to {MAX_SUB_ATTRIBUTES} subAttributes"));
            }
            check_attributes(&mut attribute.sub_attributes, &format!("{at}."))?;
        }
        (_, _) if !attribute.sub_attributes.is_empty() => {
            return Err(format!("{at}: only a complex attribute has subAttributes"));
        }
        _ => {}
    }
    if attribute.kind == Type::Binary {
        attribute.case_exact = true;
    }
    if attribute.kind != Type::Reference && !attribute.reference_types.is_empty() {
        return Err(format!("{at}: only a reference attribute has referenceTypes"));
    }
    if attribute.kind == Type::Reference && attribute.reference_types.is_empty() {
        attribute.reference_types = vec!["external".to_owned()];
    }
    for (what, values) in
        [("canonicalValues", &attribute.canonical_values), ("referenceTypes", &attribute.reference_types)]
    {
        if values.len() > MAX_VALUES || values.iter().any(|v| v.is_empty() || too_long(v, MAX_VALUE_CHARS)) {
            return Err(format!("{at}.{what}: at most {MAX_VALUES} values of 1 to {MAX_VALUE_CHARS} characters"));
        }
    }
    Ok(())
}

/// A registered extension as a request's schema sees it, borrowing its [`CustomSchema`].
#[derive(Debug)]
pub struct Extension<'a> {
    /// The schema URN.
    pub urn: &'a str,
    /// The URN of the core schema of the resource type it extends.
    pub core: &'static str,
    /// Its name.
    pub name: &'a str,
    /// Its description.
    pub description: &'a str,
    /// Its attributes.
    pub attributes: Vec<Attribute<'a>>,
}

/// The sub-attributes of registered schemas, `[schema][attribute]`, built before the
/// [`Extension`]s that borrow them: `let subs = SubAttributes::of(&defs); let extensions =
/// extensions(&defs, &subs);`.
pub struct SubAttributes<'a>(Vec<Vec<Vec<Attribute<'a>>>>);

impl<'a> SubAttributes<'a> {
    /// The sub-attributes of every attribute of `schemas`.
    pub fn of(schemas: &'a [CustomSchema]) -> Self {
        SubAttributes(
            schemas
                .iter()
                .map(|s| {
                    s.attributes
                        .iter()
                        .map(|a| a.sub_attributes.iter().map(|sub| attribute(sub, &[])).collect())
                        .collect()
                })
                .collect(),
        )
    }
}

fn attribute<'a>(definition: &'a CustomAttribute, sub_attributes: &'a [Attribute<'a>]) -> Attribute<'a> {
    let mut a = Attribute::of(&definition.name, definition.kind);
    a.multi_valued = definition.multi_valued;
    a.required = definition.required;
    a.case_exact = definition.case_exact;
    a.mutability = definition.mutability;
    a.sub_attributes = sub_attributes;
    a.canonical_values = Texts::Owned(&definition.canonical_values);
    a.reference_types = Texts::Owned(&definition.reference_types);
    a.description = &definition.description;
    a
}

/// The [`Extension`]s of `schemas`, in order; `subs` is [`SubAttributes::of`] the same list.
pub fn extensions<'a>(schemas: &'a [CustomSchema], subs: &'a SubAttributes<'a>) -> Vec<Extension<'a>> {
    schemas
        .iter()
        .zip(&subs.0)
        .map(|(schema, subs)| Extension {
            urn: &schema.id,
            core: schema.resource_type.core(),
            name: &schema.name,
            description: &schema.description,
            attributes: schema.attributes.iter().zip(subs).map(|(a, subs)| attribute(a, subs)).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn badge() -> Value {
        json!({"id": "urn:acme:scim:1.0:User", "resourceType": "User", "attributes": [
            {"name": "badge", "type": "integer"},
            {"name": "site", "type": "complex", "subAttributes": [{"name": "code", "type": "string", "caseExact": true}]},
            {"name": "homepage", "type": "reference"}
        ]})
    }

    #[test]
    fn a_valid_definition_gets_its_defaults() {
        let schema = CustomSchema::parse(badge()).expect("valid");
        assert_eq!(schema.name, "User");
        assert_eq!(schema.attributes[0].mutability, Mutability::ReadWrite);
        assert_eq!(schema.attributes[2].reference_types, vec!["external".to_owned()]);
    }

    #[test]
    fn definitions_that_break_a_rule_are_refused_with_the_reason() {
        let with = |f: fn(&mut Value)| {
            let mut v = badge();
            f(&mut v);
            CustomSchema::parse(v).expect_err("refused")
        };
        assert!(with(|v| v["id"] = json!("acme:User")).contains("URN"));
        assert!(with(|v| v["id"] = json!("urn:acme::User")).contains("URN"));
        assert!(with(|v| v["id"] = json!(ENTERPRISE_USER.to_uppercase())).contains("Enterprise"));
        assert!(with(|v| v["id"] = json!("urn:ietf:params:scim:schemas:core:2.0:Device")).contains("reserved"));
        assert!(with(|v| v["attributes"][0]["name"] = json!("1badge")).contains("letter"));
        assert!(with(|v| v["attributes"][1]["name"] = json!("BADGE")).contains("twice"));
        assert!(with(|v| v["attributes"][0]["type"] = json!("number")).contains("unknown variant"));
        assert!(with(|v| v["attributes"][0]["multivalued"] = json!(true)).contains("unknown field"));
        assert!(with(|v| v["attributes"][0]["mutability"] = json!("writeOnly")).contains("writeOnly"));
        assert!(with(|v| v["attributes"][1]["subAttributes"][0]["type"] = json!("complex")).contains("cannot"));
        assert!(
            with(|v| v["attributes"][0]["subAttributes"] = json!([{"name": "x", "type": "string"}])).contains("only")
        );
        assert!(with(|v| v["attributes"] = json!([])).contains("1 to"));
        assert!(with(|v| v["resourceType"] = json!("Device")).contains("unknown variant"));
        assert!(with(|v| v["description"] = json!("x".repeat(MAX_DESCRIPTION_CHARS + 1))).contains("longer"));
    }

    #[test]
    fn extensions_borrow_the_definitions_with_their_characteristics() {
        let defs = vec![CustomSchema::parse(badge()).expect("valid")];
        let subs = SubAttributes::of(&defs);
        let ext = extensions(&defs, &subs);
        assert_eq!((ext[0].urn, ext[0].core), ("urn:acme:scim:1.0:User", USER));
        assert_eq!(ext[0].attributes[0].kind, Type::Integer);
        let code = ext[0].attributes[1].sub_attribute("CODE").expect("sub-attribute");
        assert!(code.case_exact);
    }
}
