//! PATCH path parsing and printing, through the public API.

use super::{AttrPath, CompValue, CompareOp, Filter, FilterError, PatchPath};

fn parse(input: &str) -> PatchPath {
    match input.parse() {
        Ok(path) => path,
        Err(error) => panic!("`{input}` should parse: {error}"),
    }
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Paths from RFC 7644 §3.5.2 and from Entra / Okta requests, with their canonical form.
const VALID: &[(&str, &str)] = &[
    ("members", "members"),
    ("name.familyName", "name.familyName"),
    (
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
    ),
    (r#"emails[type eq "work"].value"#, r#"emails[type eq "work"].value"#),
    (r#"addresses[type EQ "work"].streetAddress"#, r#"addresses[type eq "work"].streetAddress"#),
    (
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName"#,
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName"#,
    ),
    (r#"emails[type eq "work" and primary eq true]"#, r#"emails[type eq "work" and primary eq true]"#),
    (
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    ),
    (
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    ),
    (
        "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
        "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
    ),
    (r#"  emails[ type eq "work" ].value  "#, r#"emails[type eq "work"].value"#),
];

#[test]
fn rfc_and_idp_paths_parse_and_print_canonically() {
    for (input, canonical) in VALID {
        let path = parse(input);
        assert_eq!(path.to_string(), *canonical, "printing `{input}`");
        assert_eq!(parse(&path.to_string()), path, "round trip of `{input}`");
    }
}

#[test]
fn a_value_path_keeps_its_filter_and_trailing_sub_attribute_apart() {
    let path = parse(r#"emails[type eq "work"].value"#);
    assert_eq!(path.attr, AttrPath::new("emails"));
    assert_eq!(
        path.value_filter,
        Some(Filter::Compare(AttrPath::new("type"), CompareOp::Eq, CompValue::Str("work".into())))
    );
    assert_eq!(path.sub_attr.as_deref(), Some("value"));
    assert_eq!(path.target_sub_attr(), Some("value"));
}

#[test]
fn a_plain_sub_attribute_stays_in_the_attribute_path() {
    let path = parse("name.familyName");
    assert_eq!(path.attr, AttrPath::new("name").with_sub_attr("familyName"));
    assert_eq!((path.value_filter, path.sub_attr.as_deref()), (None, None));
    assert_eq!(parse("name.familyName").target_sub_attr(), Some("familyName"));
}

#[test]
fn extension_paths_carry_their_schema() {
    let path = parse(&format!("{ENTERPRISE}:manager.value"));
    assert_eq!(path.attr, AttrPath::new("manager").with_schema(ENTERPRISE).with_sub_attr("value"));
}

#[test]
fn invalid_paths_are_rejected_with_a_specific_error() {
    type Expectation = fn(&FilterError) -> bool;
    let cases: &[(&str, Expectation)] = &[
        ("", |e| matches!(e, FilterError::Empty)),
        (r#"emails[type eq "work""#, |e| matches!(e, FilterError::Unclosed { position: 6, delimiter: '[' })),
        (r#"emails[type eq "work"]value"#, |e| matches!(e, FilterError::InvalidAttrPath { position: 22, .. })),
        (r#"emails[type eq "work"].value.more"#, |e| matches!(e, FilterError::InvalidAttrPath { position: 22, .. })),
        (r#"emails[type eq "work"].value x"#, |e| matches!(e, FilterError::UnexpectedToken { position: 29, .. })),
        (r#"emails[type[value eq "x"]]"#, |e| matches!(e, FilterError::NestedValueFilter { position: 11 })),
        (r#"emails eq "x""#, |e| matches!(e, FilterError::UnexpectedToken { position: 7, .. })),
        ("name.given.family", |e| matches!(e, FilterError::InvalidAttrPath { position: 0, .. })),
        (r#"name.givenName[value eq "x"]"#, |e| matches!(e, FilterError::InvalidAttrPath { position: 0, .. })),
        (r#"[value eq "x"]"#, |e| matches!(e, FilterError::UnexpectedToken { position: 0, .. })),
        (r#"emails[]"#, |e| matches!(e, FilterError::UnexpectedToken { position: 7, .. })),
        (r#"emails[type eq "work"]]"#, |e| matches!(e, FilterError::UnexpectedToken { position: 22, .. })),
    ];
    for (input, expected) in cases {
        match input.parse::<PatchPath>() {
            Ok(path) => panic!("`{input}` should fail, parsed as {path:?}"),
            Err(error) => assert!(expected(&error), "`{input}`: {error:?}"),
        }
    }
}

#[test]
fn deeply_nested_value_filters_are_rejected_not_overflowed() {
    let input = format!("emails[{}type pr{}]", "(".repeat(2000), ")".repeat(2000));
    assert!(matches!(input.parse::<PatchPath>(), Err(FilterError::TooDeep { .. })));
}

#[test]
fn lone_attribute_paths_parse_for_sort_by_and_attributes() {
    for input in ["meta.lastModified", "userName", &format!("{ENTERPRISE}:manager.displayName")] {
        let path: AttrPath = input.parse().unwrap_or_else(|e| panic!("`{input}`: {e}"));
        assert_eq!(path.to_string(), input);
    }
    assert_eq!(" name.givenName ".parse(), Ok(AttrPath::new("name").with_sub_attr("givenName")));
    for input in ["", "a b", "emails[type eq \"work\"]", "a.b.c", "\"userName\""] {
        assert!(input.parse::<AttrPath>().is_err(), "`{input}`");
    }
}
