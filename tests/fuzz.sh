#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ for the given seconds each (default 600), one after another, from the
# seed corpus in fuzz/seeds/<target> into a scratch corpus under fuzz/corpus/<target>. Needs the nightly
# toolchain; installs cargo-fuzz when it is missing. A crash or a broken invariant fails the run and
# leaves the input in fuzz/artifacts/<target>/: copy it to fuzz/regressions/<target>/ (with a name that
# says what it found) once fixed, so that tests/fuzz_replay.rs replays it on stable.
#
# Without a nightly toolchain the run cannot happen: it says so loudly, and exits 0 so that the rest of
# `make check` still runs.
set -euo pipefail
seconds="${1:-600}"
root="$(cd "$(dirname "$0")/.." && pwd)"
targets=(dense approximate solve_plan rrho align)

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    printf '\n%s\n%s\n%s\n\n' \
        '########################################################################' \
        '# FUZZ RUN NOT DONE: no nightly toolchain (rustup toolchain install nightly)' \
        '########################################################################' >&2
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz from crates.io"
    cargo +nightly install cargo-fuzz --locked
fi

cd "$root/fuzz"
cargo +nightly fuzz build
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    log="artifacts/$target/run.log"
    echo "fuzz: $target for ${seconds} s"
    if ! cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz: $target FAILED; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^stat::number_of_executed_units|^#[0-9]+ +DONE' "$log" | sed "s/^/fuzz: $target: /"
done
