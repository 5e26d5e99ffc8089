#!/bin/sh
# Runs every fuzz target briefly from the committed corpus: a smoke run for CI (docs/fuzzing.md).
# FUZZ_SECONDS sets the time per target (default 30); FUZZ_TARGET_DIR another build directory
# than fuzz/target. Installs nightly and cargo-fuzz if missing.
# New inputs go to a scratch directory, never into the committed corpus; a crash leaves its
# input in fuzz/artifacts/<target>/ and fails the run.
set -eu
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-30}"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

build_dir=${FUZZ_TARGET_DIR:+--target-dir=$FUZZ_TARGET_DIR}
# shellcheck disable=SC2086 # build_dir is one word or none
cargo +nightly fuzz build $build_dir
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in filter patch normalize handler; do
    case "$target" in
        filter) dict=filter.dict ;;
        handler) dict=handler.dict ;;
        *) dict=json.dict ;;
    esac
    mkdir -p "$scratch/$target"
    echo "== fuzz/$target: ${seconds}s"
    log="$scratch/$target.log"
    # shellcheck disable=SC2086
    if ! cargo +nightly fuzz run $build_dir "$target" "$scratch/$target" "corpus/$target" -- \
        -dict="dict/$dict" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 80 "$log" >&2
        echo "fuzz/$target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)|cov:.*DONE' "$log" || true
done
