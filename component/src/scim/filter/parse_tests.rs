//! Filter parsing and printing, through the public API.

use super::{AttrPath, CompValue, CompareOp, Filter, FilterError, MAX_DEPTH, MAX_INPUT_LEN};

fn parse(input: &str) -> Filter {
    match input.parse() {
        Ok(filter) => filter,
        Err(error) => panic!("`{input}` should parse: {error}"),
    }
}

fn parse_err(input: &str) -> FilterError {
    match input.parse::<Filter>() {
        Ok(filter) => panic!("`{input}` should fail, parsed as {filter:?}"),
        Err(error) => error,
    }
}

fn compare(path: &str, op: CompareOp, value: CompValue) -> Filter {
    Filter::Compare(AttrPath::new(path), op, value)
}

fn text(value: &str) -> CompValue {
    CompValue::Str(value.to_owned())
}

/// Every example filter of RFC 7644 §3.4.2.2 and a few more, with its canonical form.
const VALID: &[(&str, &str)] = &[
    (r#"userName Eq "john""#, r#"userName eq "john""#),
    (r#"Username eq "john""#, r#"Username eq "john""#),
    (r#"userName eq "bjensen""#, r#"userName eq "bjensen""#),
    (r#"name.familyName co "O'Malley""#, r#"name.familyName co "O'Malley""#),
    (r#"userName sw "J""#, r#"userName sw "J""#),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
    ),
    ("title pr", "title pr"),
    (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, r#"meta.lastModified gt "2011-05-13T04:42:34Z""#),
    (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, r#"meta.lastModified ge "2011-05-13T04:42:34Z""#),
    (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, r#"meta.lastModified lt "2011-05-13T04:42:34Z""#),
    (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, r#"meta.lastModified le "2011-05-13T04:42:34Z""#),
    (r#"title pr and userType eq "Employee""#, r#"title pr and userType eq "Employee""#),
    (r#"title pr or userType eq "Intern""#, r#"title pr or userType eq "Intern""#),
    (
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    ),
    (
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    ),
    (
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    ),
    (r#"userType eq "Employee" and (emails.type eq "work")"#, r#"userType eq "Employee" and emails.type eq "work""#),
    (
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    ),
    (
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
    ),
    // Errata 7322: a value filter may group and negate.
    (
        r#"emails[type eq "work" or (type eq "home" and value ew "@example.com")]"#,
        r#"emails[type eq "work" or type eq "home" and value ew "@example.com"]"#,
    ),
    (r#"emails[not (type eq "work")]"#, r#"emails[not (type eq "work")]"#),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
    ),
    (r#"members[$ref eq "https://x/Users/1"]"#, r#"members[$ref eq "https://x/Users/1"]"#),
    ("x-custom_attr2 pr", "x-custom_attr2 pr"),
    // Literals: numbers, keywords in any case, escapes.
    ("age gt 21", "age gt 21"),
    ("weight le -1.5e3", "weight le -1500.0"),
    ("ratio lt 0.25", "ratio lt 0.25"),
    ("active eq TRUE", "active eq true"),
    ("active Ne False", "active ne false"),
    ("nickName eq NULL", "nickName eq null"),
    (r#"displayName eq "Caf\u00e9 \"Bar\" \\ / \t""#, r#"displayName eq "Café \"Bar\" \\ / \t""#),
    // Whitespace: optional around brackets, repeatable between tokens.
    ("  title\t\tpr   AND\n(userType   eq \"x\")  ", r#"title pr and userType eq "x""#),
    ("not(title pr)", "not (title pr)"),
    (r#"emails[ type eq "work" ]"#, r#"emails[type eq "work"]"#),
    (r#"userName eq"a""#, r#"userName eq "a""#),
    // Precedence and grouping.
    ("a pr or b pr and c pr", "a pr or b pr and c pr"),
    ("(a pr or b pr) and c pr", "(a pr or b pr) and c pr"),
    ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
    ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
    ("((a pr))", "a pr"),
    ("not (not (a pr))", "not (not (a pr))"),
    // `not` is a keyword only before `(`.
    (r#"not eq "x""#, r#"not eq "x""#),
    ("not pr", "not pr"),
];

#[test]
fn rfc_examples_parse_and_print_canonically() {
    for (input, canonical) in VALID {
        let filter = parse(input);
        assert_eq!(filter.to_string(), *canonical, "printing `{input}`");
    }
}

#[test]
fn printed_filters_parse_back_to_the_same_tree() {
    for (input, _) in VALID {
        let filter = parse(input);
        assert_eq!(parse(&filter.to_string()), filter, "round trip of `{input}`");
    }
}

#[test]
fn built_trees_print_with_the_parentheses_their_shape_needs() {
    let (a, b, c) =
        (Filter::Present(AttrPath::new("a")), Filter::Present(AttrPath::new("b")), Filter::Present(AttrPath::new("c")));
    let and = |l: &Filter, r: &Filter| Filter::And(Box::new(l.clone()), Box::new(r.clone()));
    let or = |l: &Filter, r: &Filter| Filter::Or(Box::new(l.clone()), Box::new(r.clone()));
    for filter in [
        and(&or(&a, &b), &c),
        and(&a, &or(&b, &c)),
        or(&and(&a, &b), &c),
        or(&a, &and(&b, &c)),
        or(&a, &or(&b, &c)),
        and(&a, &and(&b, &c)),
        Filter::Not(Box::new(and(&a, &b))),
        Filter::Complex(AttrPath::new("emails"), Box::new(or(&a, &and(&b, &c)))),
    ] {
        assert_eq!(parse(&filter.to_string()), filter, "round trip of `{filter}`");
    }
}

#[test]
fn operators_are_case_insensitive() {
    for op in CompareOp::ALL {
        for spelling in [op.as_str().to_owned(), op.as_str().to_uppercase(), {
            let mut mixed = op.as_str().to_uppercase();
            mixed.truncate(1);
            mixed + &op.as_str()[1..]
        }] {
            let filter = parse(&format!(r#"title {spelling} "x""#));
            assert_eq!(filter, compare("title", op, text("x")));
        }
    }
    assert_eq!(parse("title PR Or a Pr aNd not (b pR)").to_string(), "title pr or a pr and not (b pr)");
}

#[test]
fn and_binds_tighter_than_or() {
    let present = |name: &str| Box::new(Filter::Present(AttrPath::new(name)));
    assert_eq!(
        parse("a pr or b pr and c pr"),
        Filter::Or(present("a"), Box::new(Filter::And(present("b"), present("c"))))
    );
    assert_eq!(
        parse("a pr and b pr or c pr"),
        Filter::Or(Box::new(Filter::And(present("a"), present("b"))), present("c"))
    );
}

#[test]
fn urn_qualified_paths_split_at_the_last_colon() {
    let filter = parse(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "7""#);
    let path = AttrPath::new("manager")
        .with_schema("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        .with_sub_attr("value");
    assert_eq!(filter, Filter::Compare(path, CompareOp::Eq, text("7")));
}

#[test]
fn names_keep_their_spelling_but_compare_ignoring_case() {
    let (path, value) = match parse(r#"URN:IETF:params:scim:schemas:core:2.0:User:NAME.GivenName eq "x""#) {
        Filter::Compare(path, _, value) => (path, value),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(path.name, "NAME");
    assert!(path.matches_name("name") && path.matches_sub_attr("givenname"));
    assert!(path.matches_schema("urn:ietf:params:scim:schemas:core:2.0:User"));
    let lower =
        AttrPath::new("name").with_schema("urn:ietf:params:scim:schemas:core:2.0:user").with_sub_attr("givenName");
    assert!(path.eq_ignore_case(&lower) && path != lower);
    assert_eq!(value, text("x"));
}

#[test]
fn number_literals_follow_json() {
    for (input, expected) in
        [("0", "0"), ("-7", "-7"), ("3.25", "3.25"), ("1E2", "100.0"), ("18446744073709551615", "18446744073709551615")]
    {
        let filter = parse(&format!("n eq {input}"));
        assert_eq!(filter.to_string(), format!("n eq {expected}"), "{input}");
    }
}

/// Found by the `filter` fuzz target: serde_json's default float parsing is not correctly
/// rounded, so `12.5e069` became 1.2499999999999999e70, which printed and parsed back as
/// another number (1.25e70).
#[test]
fn decimal_literals_are_read_as_the_nearest_double_and_print_back_to_it() {
    for (input, expected) in [("12.5e069", "1.25e+70"), ("0.30000000000000004", "0.30000000000000004")] {
        let filter = parse(&format!("n gt {input}"));
        assert_eq!(filter.to_string(), format!("n gt {expected}"), "{input}");
        assert_eq!(parse(&filter.to_string()), filter, "round trip of {input}");
    }
}

#[test]
fn as_equality_finds_only_a_lone_eq() {
    let filter = parse(r#"userName eq "bjensen""#);
    assert_eq!(filter.as_equality(), Some((&AttrPath::new("userName"), &text("bjensen"))));
    for other in [r#"userName ne "b""#, r#"userName eq "b" and title pr"#, r#"not (userName eq "b")"#, "title pr"] {
        assert_eq!(parse(other).as_equality(), None, "{other}");
    }
}

fn variant(error: &FilterError) -> &'static str {
    match error {
        FilterError::Empty => "Empty",
        FilterError::TooLong { .. } => "TooLong",
        FilterError::TooDeep { .. } => "TooDeep",
        FilterError::UnterminatedString { .. } => "UnterminatedString",
        FilterError::InvalidEscape { .. } => "InvalidEscape",
        FilterError::InvalidNumber { .. } => "InvalidNumber",
        FilterError::InvalidValue { .. } => "InvalidValue",
        FilterError::InvalidAttrPath { .. } => "InvalidAttrPath",
        FilterError::UnknownOperator { .. } => "UnknownOperator",
        FilterError::UnexpectedToken { .. } => "UnexpectedToken",
        FilterError::UnexpectedEnd { .. } => "UnexpectedEnd",
        FilterError::Unclosed { .. } => "Unclosed",
        FilterError::NestedValueFilter { .. } => "NestedValueFilter",
        FilterError::TrailingInput { .. } => "TrailingInput",
        FilterError::NotOrderable { .. } => "NotOrderable",
        FilterError::NotComplex { .. } => "NotComplex",
        FilterError::LiteralType { .. } => "LiteralType",
    }
}

/// Invalid filters, the error they give, and where it points.
const INVALID: &[(&str, &str, Option<usize>)] = &[
    ("", "Empty", None),
    (" \t ", "Empty", None),
    ("(title pr", "Unclosed", Some(0)),
    ("title pr)", "TrailingInput", Some(8)),
    ("(title pr]", "UnexpectedToken", Some(9)),
    (r#"emails[type eq "work""#, "Unclosed", Some(6)),
    ("userName eq", "UnexpectedEnd", Some(11)),
    ("userName", "UnexpectedEnd", Some(8)),
    (r#"userName eqq "x""#, "UnknownOperator", Some(9)),
    (r#"userName = "x""#, "UnknownOperator", Some(9)),
    (r#"userName eq "john"#, "UnterminatedString", Some(12)),
    (r#"userName eq "a\qb""#, "InvalidEscape", Some(14)),
    ("userName eq john", "InvalidValue", Some(12)),
    ("age gt 01", "InvalidNumber", Some(7)),
    ("age gt 1e999", "InvalidNumber", Some(7)),
    ("age gt -", "InvalidNumber", Some(7)),
    (r#"emails[type[value eq "x"] pr]"#, "NestedValueFilter", Some(11)),
    (r#"emails[value eq "x"][type eq "y"]"#, "TrailingInput", Some(20)),
    (r#"userName eq "a" "b""#, "TrailingInput", Some(16)),
    (r#"userName eq "a" garbage"#, "TrailingInput", Some(16)),
    (r#"userName eq "a" and"#, "UnexpectedEnd", Some(19)),
    ("and title pr", "UnknownOperator", Some(4)),
    (r#"not userName eq "x""#, "UnexpectedToken", Some(4)),
    ("not (title pr", "Unclosed", Some(4)),
    ("()", "UnexpectedToken", Some(1)),
    (r#"1name eq "x""#, "InvalidAttrPath", Some(0)),
    (r#"name.given.more eq "x""#, "InvalidAttrPath", Some(0)),
    (r#"name. eq "x""#, "InvalidAttrPath", Some(0)),
    (r#"urn:x: eq "x""#, "InvalidAttrPath", Some(0)),
    (r#":name eq "x""#, "InvalidAttrPath", Some(0)),
    (r#"na,me eq "x""#, "InvalidAttrPath", Some(0)),
    (r#"emails[emails.type eq "x"]"#, "InvalidAttrPath", Some(7)),
    (r#"name.givenName[value eq "x"]"#, "InvalidAttrPath", Some(0)),
    (r#""userName" eq "x""#, "UnexpectedToken", Some(0)),
    (r#"userName eq ("x")"#, "UnexpectedToken", Some(12)),
];

#[test]
fn invalid_filters_are_rejected_with_a_specific_error() {
    for (input, expected, position) in INVALID {
        let error = parse_err(input);
        assert_eq!(variant(&error), *expected, "`{input}`: {error}");
        assert_eq!(error.position(), *position, "`{input}`: {error}");
    }
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let parens = format!("{}a pr{}", "(".repeat(1000), ")".repeat(1000));
    assert!(matches!(parse_err(&parens), FilterError::TooDeep { position: 32, max: MAX_DEPTH }));
    let nots = format!("{}a pr{}", "not (".repeat(600), ")".repeat(600));
    assert_eq!(variant(&parse_err(&nots)), "TooDeep");
    let at_limit = format!("{}a pr{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert_eq!(parse(&at_limit).to_string(), "a pr");
    let over = format!("{}a pr{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    assert_eq!(variant(&parse_err(&over)), "TooDeep");
}

#[test]
fn oversized_input_is_rejected_before_reading() {
    let huge = format!(r#"userName eq "{}""#, "x".repeat(100 * 1024));
    assert_eq!(parse_err(&huge), FilterError::TooLong { len: huge.len(), max: MAX_INPUT_LEN });
    let unclosed_huge = "(".repeat(100 * 1024);
    assert_eq!(variant(&parse_err(&unclosed_huge)), "TooLong");
}

#[test]
fn longest_accepted_chains_print_and_reparse() {
    let mut chain = String::from("a pr");
    for index in 0.. {
        let next = if index % 3 == 0 { " or a pr" } else { " and a pr" };
        if chain.len() + next.len() > MAX_INPUT_LEN {
            break;
        }
        chain.push_str(next);
    }
    let filter = parse(&chain);
    assert_eq!(filter.to_string(), chain);
    assert_eq!(parse(&filter.to_string()), filter);
}

#[test]
fn error_messages_name_the_problem_and_the_place() {
    for (input, message) in [
        (
            r#"userName eqq "x""#,
            "unknown operator `eqq` at position 9: expected eq, ne, co, sw, ew, gt, ge, lt, le or pr",
        ),
        ("(title pr", "the `(` at position 0 has no matching `)`"),
        (r#"userName eq "john"#, "the string starting at position 12 has no closing `\"`"),
        (
            "userName eq john",
            "`john` at position 12 is not a value: expected a quoted string, a number, true, false or null",
        ),
        ("title pr)", "unexpected `)` at position 8 after a complete expression"),
        ("userName eq", "the expression ends at position 11: expected a value"),
    ] {
        assert_eq!(parse_err(input).to_string(), message, "{input}");
    }
    let message = parse_err(&format!(r#"{} eq "x""#, "a,".repeat(100))).to_string();
    assert!(message.starts_with(&format!("`{}…` at position 0", "a,".repeat(20))), "{message}");
}

#[test]
fn entra_value_path_comparison_reads_as_a_value_filter() {
    let filter: Filter = r#"emails[type eq "work"].value eq "a@x.example""#.parse().expect("parses");
    assert_eq!(filter.to_string(), r#"emails[type eq "work" and value eq "a@x.example"]"#);
    assert_eq!(filter.to_string().parse::<Filter>().expect("reparses"), filter);
}
