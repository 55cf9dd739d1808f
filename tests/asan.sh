#!/usr/bin/env bash
# Builds the C and C++ tests (tests/c/lifecycle.c, tests/cpp/bindings.cpp) with
# -fsanitize=address,undefined and runs them against libscalot.a. With a nightly toolchain the library
# itself is built with -Zsanitizer=address (into target/asan), so ASan also watches the Rust side; without
# one, the stable library is used, and the run says so.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
triple="$(rustc -vV | sed -n 's/^host: //p')"
out="target/asan"
mkdir -p "$out"

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "asan: building the library with -Zsanitizer=address (nightly)"
    RUSTFLAGS="-Zsanitizer=address" cargo +nightly rustc --quiet --lib --crate-type staticlib \
        --target "$triple" --target-dir "$out/rust"
    library="$out/rust/$triple/debug/libscalot.a"
else
    printf '\n%s\n\n' "# ASAN: no nightly toolchain; the Rust side is not instrumented, only the C and C++ tests" >&2
    cargo build --quiet
    library="target/debug/libscalot.a"
fi

flags=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1
       -Wall -Wextra -Werror -Iinclude -Ibindings/cpp -Itests/c)
cc -std=c11 "${flags[@]}" tests/c/lifecycle.c "$library" -lpthread -ldl -lm -o "$out/lifecycle"
c++ -std=c++17 "${flags[@]}" tests/cpp/bindings.cpp "$library" -lpthread -ldl -lm -o "$out/bindings"

# Leaks are valgrind's job (tests/native.rs, with its suppressions for process-lifetime thread state).
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
for program in lifecycle bindings; do
    echo "asan: $program"
    "$out/$program" >"$out/$program.log" 2>&1 || { cat "$out/$program.log" >&2; echo "asan: $program FAILED" >&2; exit 1; }
    if grep -q "runtime error:" "$out/$program.log"; then
        cat "$out/$program.log" >&2; echo "asan: $program has undefined behaviour" >&2; exit 1
    fi
done
echo "asan: the C and C++ tests are clean under AddressSanitizer and UndefinedBehaviorSanitizer"
