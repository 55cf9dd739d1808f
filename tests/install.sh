#!/usr/bin/env bash
# Installs scalot into a staging directory with `make install`, then builds the README's C quickstart and
# its C++ example against that installed copy with `pkg-config --cflags --libs scalot` and runs them: the
# C++ example fails unless both of its solves converge.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

make --no-print-directory install PREFIX=/usr DESTDIR="$stage" >/dev/null
export PKG_CONFIG_PATH="$stage/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"

# A README block: the first ```$2 block after the "$1" heading.
block() {
    awk -v heading="$1" -v fence="\`\`\`$2" '$0 == heading {in_section=1} in_section && $0 == fence {in_code=1; next} in_code && /^```$/{exit} in_code{print}' README.md
}
block "## C quickstart" c > "$stage/quickstart.c"
block "## C++" cpp > "$stage/example.cpp"
for source in quickstart.c example.cpp; do
    [ -s "$stage/$source" ] || { echo "install: README.md has no block for $source"; echo "0 passed, 1 failed"; exit 1; }
done

passed=0
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror "$stage/quickstart.c" -o "$stage/quickstart" $(pkg-config --cflags --libs scalot) -lm
# shellcheck disable=SC2046
c++ -std=c++17 -Wall -Wextra -Werror "$stage/example.cpp" -o "$stage/example" $(pkg-config --cflags --libs scalot)
for program in quickstart example; do
    if LD_LIBRARY_PATH="$stage/usr/lib" "$stage/$program"; then
        passed=$((passed + 1))
    else
        echo "install: the README's $program failed: $passed passed, 1 failed"
        exit 1
    fi
done
echo "install: the README's C quickstart and C++ example built with pkg-config against the installed copy: $passed passed, 0 failed"
