//! Filter evaluation against resources, through the public API.

use serde_json::{Value, json};

use super::{AttrKind, AttrPath, AttributeTypes, DefaultTypes, Filter, FilterError, PatchPath};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": { "familyName": "Jensen", "givenName": "Barbara", "middleName": "" },
        "title": "Tour Guide",
        "userType": "Employee",
        "nickName": null,
        "active": "True",
        "loginCount": 42,
        "weight": 61.5,
        "emails": [
            { "value": "bjensen@example.com", "type": "work", "primary": true },
            { "value": "babs@jensen.org", "type": "home" }
        ],
        "ims": [],
        "photos": [{ "value": "", "type": "photo" }],
        "roles": ["admin", "Tour"],
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34.250+02:00"
        },
        ENTERPRISE: {
            "employeeNumber": "7",
            "manager": { "value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith" }
        }
    })
}

/// Types as the lead's schema registry would give them for the fixture.
struct UserTypes;

impl AttributeTypes for UserTypes {
    fn kind(&self, path: &AttrPath) -> AttrKind {
        let full = path.to_string().to_ascii_lowercase();
        let name = full.rsplit(':').next().unwrap_or_default();
        match name {
            "id" | "externalid" | "emails.type" => AttrKind::String { case_exact: true },
            "active" | "emails.primary" => AttrKind::Boolean,
            "logincount" => AttrKind::Integer,
            "weight" => AttrKind::Decimal,
            "meta.created" | "meta.lastmodified" => AttrKind::DateTime,
            "emails" | "name" | "manager" | "meta" => AttrKind::Complex,
            "x509certificates.value" => AttrKind::Binary,
            _ => AttrKind::String { case_exact: false },
        }
    }
}

fn check(filters: &[(&str, bool)], types: &dyn AttributeTypes) {
    let resource = user();
    for (input, expected) in filters {
        let filter: Filter = match input.parse() {
            Ok(filter) => filter,
            Err(error) => panic!("`{input}` should parse: {error}"),
        };
        assert_eq!(filter.matches(&resource, types), *expected, "`{input}`");
    }
}

fn check_both(filters: &[(&str, bool)]) {
    check(filters, &UserTypes);
    check(filters, &DefaultTypes);
}

#[test]
fn attribute_names_match_ignoring_case() {
    check_both(&[
        (r#"USERNAME eq "bjensen@example.com""#, true),
        (r#"name.FAMILYNAME eq "Jensen""#, true),
        (r#"Emails[TYPE eq "work"]"#, true),
        (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:EMPLOYEENUMBER eq "7""#, true),
    ]);
}

#[test]
fn case_exact_attributes_compare_with_case() {
    check(
        &[(r#"id eq "2819C223-7F76-453A-919D-413861904646""#, false), (r#"emails[type eq "WORK"]"#, false)],
        &UserTypes,
    );
    check(
        &[(r#"id eq "2819C223-7F76-453A-919D-413861904646""#, true), (r#"emails[type eq "WORK"]"#, true)],
        &DefaultTypes,
    );
    check_both(&[(r#"userName eq "BJensen@Example.com""#, true), (r#"title sw "tour""#, true)]);
}

#[test]
fn string_operators_follow_the_rfc() {
    check_both(&[
        (r#"title co "ur G""#, true),
        (r#"title sw "Tour""#, true),
        (r#"title sw "Tour Guide""#, true),
        (r#"title ew "guide""#, true),
        (r#"title ew "tour""#, false),
        (r#"title gt "Tour""#, true),
        (r#"title lt "tour guide""#, false),
        (r#"title le "tour guide""#, true),
        (r#"title ge "Z""#, false),
    ]);
    check(&[(r#"externalId eq 701984"#, false)], &UserTypes);
    check(&[(r#"externalId eq 701984"#, true)], &DefaultTypes);
}

#[test]
fn multi_valued_attributes_match_on_any_value() {
    check_both(&[
        (r#"emails.type eq "home""#, true),
        (r#"emails.type eq "other""#, false),
        (r#"emails co "jensen.org""#, true),
        (r#"emails eq "babs@jensen.org""#, true),
        (r#"emails.value ew ".org""#, true),
        (r#"roles eq "tour""#, true),
        (r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#, true),
    ]);
}

#[test]
fn value_filters_need_one_element_to_match_every_condition() {
    check_both(&[
        (r#"emails[type eq "work" and value co "@example.com"]"#, true),
        (r#"emails[type eq "home" and value co "@example.com"]"#, false),
        (r#"emails[type eq "home" or (type eq "work" and value ew "example.com")]"#, true),
        (r#"emails[not (type eq "work")]"#, true),
        (r#"emails[primary eq true] and not (ims[type eq "xmpp"])"#, true),
        (r#"ims[type eq "xmpp" and value co "@foo.com"]"#, false),
        (r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#, true),
    ]);
}

#[test]
fn ne_is_the_negation_of_eq_including_missing_attributes() {
    check_both(&[
        (r#"userType ne "Employee""#, false),
        (r#"userType ne "Intern""#, true),
        (r#"profileUrl ne "https://x""#, true),
        (r#"emails.type ne "work""#, false),
        (r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#, false),
    ]);
}

#[test]
fn null_is_the_unassigned_state() {
    check_both(&[
        ("nickName eq null", true),
        ("profileUrl eq null", true),
        ("ims eq null", true),
        ("title eq null", false),
        ("title ne null", true),
        ("nickName ne null", false),
        ("title co null", false),
    ]);
}

#[test]
fn pr_needs_a_non_empty_value() {
    check_both(&[
        ("title pr", true),
        ("nickName pr", false),
        ("profileUrl pr", false),
        ("ims pr", false),
        ("name.middleName pr", false),
        ("photos pr", true),
        ("photos.value pr", false),
        ("emails pr", true),
        ("loginCount pr", true),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr", true),
        ("urn:example:missing:2.0:User:manager pr", false),
    ]);
}

#[test]
fn date_times_compare_chronologically_across_offsets() {
    // lastModified is 2011-05-13T02:42:34.250Z.
    let filters = [
        (r#"meta.lastModified gt "2011-05-13T02:42:34Z""#, true),
        (r#"meta.lastModified lt "2011-05-13T04:00:00Z""#, true),
        (r#"meta.lastModified eq "2011-05-13T02:42:34.25Z""#, true),
        (r#"meta.lastModified eq "2011-05-12T20:42:34.250-06:00""#, true),
        (r#"meta.lastModified ge "2011-05-13T02:42:34.251Z""#, false),
        (r#"meta.lastModified le "2011-05-13""#, false),
        (r#"meta.created lt "2011-05-13T04:42:34Z""#, true),
        (r#"meta.created sw "2010-01""#, true),
        (r#"meta.created gt "not a date""#, false),
    ];
    check_both(&filters);
}

#[test]
fn numbers_compare_numerically() {
    check_both(&[
        ("loginCount gt 9", true),
        ("loginCount eq 42.0", true),
        ("loginCount le 41", false),
        ("weight lt 61.6", true),
        ("weight ge 1e2", false),
        (r#"loginCount eq "42""#, true),
        (r#"loginCount co "4""#, false),
    ]);
}

#[test]
fn string_booleans_compare_to_boolean_literals() {
    check_both(&[
        ("active eq true", true),
        ("active eq false", false),
        ("active ne false", true),
        (r#"active eq "true""#, true),
        ("emails[primary eq TRUE]", true),
        ("emails[type eq \"home\" and primary eq true]", false),
        ("active gt false", false),
    ]);
}

#[test]
fn extension_and_core_urn_paths_resolve() {
    check_both(&[
        (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7""#, true),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
            true,
        ),
        (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName sw "john""#, true),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
            true,
        ),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bj""#, true),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "barbara""#, true),
        (r#"employeeNumber eq "7""#, false),
        (r#"urn:example:other:1.0:User:employeeNumber eq "7""#, false),
    ]);
}

#[test]
fn mismatched_types_never_match() {
    check(
        &[
            (r#"name eq "Jensen""#, false),
            (r#"meta gt "a""#, false),
            (r#"loginCount eq "many""#, false),
            (r#"userName gt 5"#, false),
            (r#"meta.created eq true"#, false),
        ],
        &UserTypes,
    );
    check(&[(r#"name eq "Jensen""#, false), (r#"userName gt 5"#, false), ("meta eq 1", false)], &DefaultTypes);
}

#[test]
fn non_object_resources_match_nothing_but_absence() {
    let filter: Filter = r#"userName eq "x" or title pr"#.parse().unwrap_or_else(|e| panic!("{e}"));
    for resource in [json!(null), json!([]), json!("userName"), json!(7)] {
        assert!(!filter.matches(&resource, &DefaultTypes));
    }
    let absent: Filter = "userName eq null".parse().unwrap_or_else(|e| panic!("{e}"));
    assert!(absent.matches(&json!(null), &DefaultTypes));
}

#[test]
fn patch_value_filters_select_elements() {
    let resource = user();
    let path: PatchPath = r#"emails[type eq "home"].value"#.parse().unwrap_or_else(|e| panic!("{e}"));
    let Some(filter) = &path.value_filter else { panic!("no value filter") };
    let selected: Vec<bool> = resource
        .get("emails")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|email| filter.matches_element(&path.attr, email, &UserTypes))
        .collect();
    assert_eq!(selected, vec![false, true]);

    let members: PatchPath = r#"roles[value eq "ADMIN"]"#.parse().unwrap_or_else(|e| panic!("{e}"));
    let Some(filter) = &members.value_filter else { panic!("no value filter") };
    assert!(filter.matches_element(&members.attr, &json!("admin"), &DefaultTypes));
    assert!(!filter.matches_element(&members.attr, &json!("tour"), &DefaultTypes));
}

#[test]
fn ordering_booleans_fails_the_type_check() {
    let filter: Filter = r#"title pr and emails[primary gt false]"#.parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        filter.check_types(&UserTypes),
        Err(FilterError::NotOrderable { attribute: "emails.primary".into(), op: super::CompareOp::Gt })
    );
    assert_eq!(filter.check_types(&DefaultTypes), Ok(()));
    let fine: Filter = r#"meta.created gt "2011-01-01" and active eq true"#.parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fine.check_types(&UserTypes), Ok(()));
}

#[test]
fn long_chains_evaluate_without_deep_recursion() {
    let chain = vec![r#"userName eq "nobody""#; 150].join(" or ") + " or title pr";
    let filter: Filter = chain.parse().unwrap_or_else(|e| panic!("{e}"));
    assert!(filter.matches(&user(), &UserTypes));
}

#[test]
fn literals_of_the_wrong_type_and_value_filters_on_simple_attributes_fail_the_type_check() {
    let check = |input: &str| input.parse::<Filter>().unwrap_or_else(|e| panic!("{e}")).check_types(&UserTypes);
    assert!(matches!(check("userName sw 5"), Err(FilterError::LiteralType { .. })));
    assert!(matches!(check("emails[value eq true]"), Err(FilterError::LiteralType { .. })));
    assert!(matches!(check(r#"meta.lastModified gt "not a date""#), Err(FilterError::LiteralType { .. })));
    assert!(matches!(check(r#"meta.lastModified gt 5"#), Err(FilterError::LiteralType { .. })));
    assert!(matches!(check(r#"userName[value eq "a"]"#), Err(FilterError::NotComplex { .. })));
    for fine in [
        r#"meta.lastModified gt "2026-01-31T08:00:00Z""#,
        "userName eq null",
        r#"emails[type eq "work"]"#,
        "loginCount gt 5",
        r#"active eq "True""#,
    ] {
        assert_eq!(check(fine), Ok(()), "{fine}");
    }
}
