//! The filter and attribute-path grammar (`scim::filter`): arbitrary text is parsed as a
//! filter and as an attribute path. What parses prints canonically and parses back to the same
//! value (and prints the same again); a parsed filter is type-checked against the User schema
//! and evaluated against a sample user and group, with the schema's types and the defaults.

#![no_main]

use idplex_component::scim::filter::{AttrPath, DefaultTypes, Filter, PatchPath};
use idplex_component::scim::schema::{GROUP_SCHEMA, USER_SCHEMA};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(filter) = text.parse::<Filter>() {
        let printed = filter.to_string();
        let again = printed.parse::<Filter>().unwrap_or_else(|e| panic!("{printed:?} does not parse back: {e}"));
        assert_eq!(again, filter, "{printed:?} parses back to another filter");
        assert_eq!(again.to_string(), printed, "printing is not stable");
        let user = idplex_fuzz::sample_user();
        let group = idplex_fuzz::sample_group();
        let _ = filter.check_types(&USER_SCHEMA);
        let _ = filter.check_types(&GROUP_SCHEMA);
        let _ = filter.matches(&user, &USER_SCHEMA);
        let _ = filter.matches(&user, &DefaultTypes);
        let _ = filter.matches(&group, &GROUP_SCHEMA);
        let _ = filter.as_equality();
    }
    if let Ok(path) = text.parse::<AttrPath>() {
        let printed = path.to_string();
        let again = printed.parse::<AttrPath>().unwrap_or_else(|e| panic!("{printed:?} does not parse back: {e}"));
        assert!(again == path, "{printed:?} parses back to another path");
        let _ = USER_SCHEMA.resolve(&path);
    }
    if let Ok(path) = text.parse::<PatchPath>() {
        let printed = path.to_string();
        let again = printed.parse::<PatchPath>().unwrap_or_else(|e| panic!("{printed:?} does not parse back: {e}"));
        assert_eq!(again, path, "{printed:?} parses back to another PATCH path");
    }
});
