//! Generated filters: whatever the grammar produces prints and parses back unchanged, and
//! random damage to it is an error or another filter, never a panic.

use super::{DefaultTypes, Filter, PatchPath};

fn parse(input: &str) -> Filter {
    match input.parse() {
        Ok(filter) => filter,
        Err(error) => panic!("`{input}` should parse: {error}"),
    }
}

/// A small deterministic generator (64-bit LCG), so these tests need no dependencies.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).unwrap_or_default() % bound
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or_default()
    }

    /// Filter text from the grammar, with random case, spacing and nesting.
    fn filter(&mut self, depth: usize, in_brackets: bool) -> String {
        const PATHS: &[&str] = &["x", "Emails", "$ref", "not", "and", "name.givenName", "urn:a:b:1.0:User:m.value"];
        // Inside `[…]` only plain sub-attribute names are allowed.
        let paths = if in_brackets { &PATHS[..5] } else { PATHS };
        const VALUES: &[&str] =
            &["\"s\"", "\"\\u00e9\\\"\\\\\"", "1", "-2.5e3", "TRUE", "false", "null", "18446744073709551615"];
        const OPS: &[&str] = &["eq", "NE", "Co", "sw", "ew", "gt", "ge", "lt", "le"];
        const SPACE: &[&str] = &[" ", "  ", "\t", " \n "];
        let choice = if depth == 0 { self.below(2) } else { self.below(7) };
        let space = self.pick(SPACE);
        match choice {
            0 => format!("{}{space}pr", self.pick(paths)),
            1 => format!("{}{space}{}{space}{}", self.pick(paths), self.pick(OPS), self.pick(VALUES)),
            2 | 3 => {
                let joiner = if choice == 2 { self.pick(&["and", "AND"]) } else { self.pick(&["or", "Or"]) };
                format!(
                    "{}{space}{joiner}{space}{}",
                    self.filter(depth - 1, in_brackets),
                    self.filter(depth - 1, in_brackets)
                )
            }
            4 => format!("({})", self.filter(depth - 1, in_brackets)),
            5 => format!("not{}({})", self.pick(&["", " "]), self.filter(depth - 1, in_brackets)),
            _ if in_brackets => format!("({})", self.filter(depth - 1, true)),
            _ => format!("emails[{}]", self.filter(depth - 1, true)),
        }
    }
}

#[test]
fn generated_filters_round_trip_and_mutants_never_panic() {
    const NOISE: &[&str] = &["(", ")", "[", "]", "\"", "\\", ".", ":", " ", "not", "and", "pr", "1", "é"];
    let resource = serde_json::json!({"x": ["s", 1], "Emails": [{"value": "s"}], "name": {"givenName": "é\"\\"}});
    let mut random = Lcg(0x5eed);
    let mut mutants_parsed = 0;
    for _ in 0..5_000 {
        let input = random.filter(4, false);
        let filter = parse(&input);
        let printed = filter.to_string();
        assert_eq!(parse(&printed), filter, "`{input}` printed as `{printed}`");
        let _ = filter.matches(&resource, &DefaultTypes);

        let mut mutant = input.clone();
        let at = random.below(mutant.len() + 1);
        if mutant.is_char_boundary(at) {
            if random.below(2) == 0 {
                mutant.insert_str(at, random.pick(NOISE));
            } else if let Some(c) = mutant.get(at..).and_then(|rest| rest.chars().next()) {
                mutant.replace_range(at..at + c.len_utf8(), "");
            }
        }
        if let Ok(filter) = mutant.parse::<Filter>() {
            mutants_parsed += 1;
            assert_eq!(filter.to_string().parse::<Filter>().ok(), Some(filter.clone()), "mutant `{mutant}`");
            let _ = filter.matches(&resource, &DefaultTypes);
        }
        let _ = mutant.parse::<PatchPath>().map(|path| path.to_string());
    }
    assert!(mutants_parsed > 100, "only {mutants_parsed} mutants parsed");
}

/// The worst inputs the limits allow: nesting at [`super::MAX_DEPTH`] and a chain as long as
/// [`super::MAX_INPUT_LEN`] permits.
fn worst_cases() -> Vec<String> {
    let half = super::MAX_DEPTH / 2;
    let nested = format!(
        "{}emails[{}value pr{}]{}",
        "not (".repeat(half),
        "(".repeat(half - 1),
        ")".repeat(half - 1),
        ")".repeat(half)
    );
    let mut chain = String::from("x pr");
    while chain.len() + " and x pr".len() <= super::MAX_INPUT_LEN {
        chain.push_str(if chain.len() % 2 == 0 { " and x pr" } else { " or x pr" });
    }
    let too_deep = format!("{}x pr{}", "(".repeat(2000), ")".repeat(2000));
    vec![nested, chain, too_deep]
}

#[test]
fn worst_case_inputs_fit_a_small_stack() {
    let worker = std::thread::Builder::new().stack_size(256 * 1024).spawn(|| {
        let resource = serde_json::json!({"x": 1, "emails": [{"value": "a"}]});
        for input in worst_cases() {
            if let Ok(filter) = input.parse::<Filter>() {
                let printed = filter.to_string();
                assert_eq!(parse(&printed), filter);
                let _ = filter.matches(&resource, &DefaultTypes);
                let _ = filter.check_types(&DefaultTypes);
            }
        }
    });
    let joined = worker.map(std::thread::JoinHandle::join);
    assert!(matches!(joined, Ok(Ok(()))), "worst cases overflowed a 256 KiB stack");
}
