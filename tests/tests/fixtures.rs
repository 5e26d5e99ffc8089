//! Replays the vendor and RFC fixtures under `tests/fixtures/` (format:
//! `tests/fixtures/README.md`): every file against a fresh server and connection. A failure
//! names the file, the step, the request sent and the response received.

use idplex_e2e::replay::{fixtures_dir, replay_dir};

/// The fixture directories, one test each below.
const DIRECTORIES: &[&str] = &["entra", "okta", "rfc7643", "rfc7644", "rfc9865"];

/// Fixture directories in another format, each with the test that sends it.
const ELSEWHERE: &[(&str, &str)] = &[("hostile", "tests/tests/hostile.rs")];

fn replay(directory: &str) {
    let report = replay_dir(&fixtures_dir().join(directory));
    assert!(report.steps > 0, "{directory}: no fixture steps found");
    assert!(report.failures.is_empty(), "{directory}: {report}");
    eprintln!("{directory}: {report}");
}

#[test]
fn okta_requests_get_the_responses_okta_expects() {
    replay("okta");
}

#[test]
fn entra_requests_get_the_responses_entra_expects() {
    replay("entra");
}

#[test]
fn rfc7643_resource_examples_round_trip() {
    replay("rfc7643");
}

#[test]
fn rfc7644_protocol_examples_behave_as_specified() {
    replay("rfc7644");
}

#[test]
fn rfc9865_cursor_paging_examples_behave_as_specified() {
    replay("rfc9865");
}

#[test]
fn every_fixture_directory_is_replayed() {
    let mut found: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.retain(|dir| !ELSEWHERE.iter().any(|(other, _)| other == dir));
    found.sort();
    assert_eq!(found, DIRECTORIES, "a fixture directory without a test (or a test without a directory)");
}
