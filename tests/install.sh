#!/usr/bin/env bash
# Installs scalot into a staging directory with `make install`, then builds the README's C quickstart
# against that installed copy with `pkg-config --cflags --libs scalot` and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

make --no-print-directory install PREFIX=/usr DESTDIR="$stage" >/dev/null
export PKG_CONFIG_PATH="$stage/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"

# The quickstart is the ```c block that follows the "C quickstart" heading in README.md.
awk '/^## C quickstart/{in_section=1} in_section && /^```c$/{in_code=1; next} in_code && /^```$/{exit} in_code{print}' README.md > "$stage/quickstart.c"
[ -s "$stage/quickstart.c" ] || { echo "install: README.md has no C quickstart block"; echo "0 passed, 1 failed"; exit 1; }

# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror "$stage/quickstart.c" -o "$stage/quickstart" $(pkg-config --cflags --libs scalot) -lm
if LD_LIBRARY_PATH="$stage/usr/lib" "$stage/quickstart"; then
    echo "install: quickstart built with pkg-config against the installed copy: 1 passed, 0 failed"
else
    echo "install: the quickstart failed: 0 passed, 1 failed"
    exit 1
fi
