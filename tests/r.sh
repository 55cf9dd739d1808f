#!/usr/bin/env bash
# The R package: installs R from Debian when it is missing, stages scalot with `make install`, then runs
# `R CMD build` and `R CMD check --no-manual` (which runs the testthat suite). An ERROR or WARNING fails;
# NOTEs are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v R >/dev/null || ! Rscript -e 'library(testthat)' >/dev/null 2>&1; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "r: installing R from Debian (r-base-core r-base-dev r-cran-testthat)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq r-base-core r-base-dev r-cran-testthat >/dev/null
    else
        echo "r: R with testthat is missing; install r-base-core r-base-dev r-cran-testthat (as root: apt-get)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

work=$(mktemp -d)
[ -n "${SCALOT_R_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
make --no-print-directory install PREFIX="$work/prefix" >/dev/null 2>&1
export SCALOT_PREFIX="$work/prefix"

version=$(sed -n 's/^Version: //p' bindings/r/scalot/DESCRIPTION)
(cd "$work" && R CMD build --no-manual "$OLDPWD/bindings/r/scalot" >build.log 2>&1) || {
    cat "$work/build.log"; echo "r: R CMD build failed: 0 passed, 1 failed"; exit 1; }
# No network here: skip asking a time server whether file times lie in the future, and give R no package
# repository to index.
export _R_CHECK_SYSTEM_CLOCK_=FALSE
echo 'options(repos = character())' >"$work/Rprofile"
export R_PROFILE_USER="$work/Rprofile"
if ! (cd "$work" && R CMD check --no-manual "scalot_$version.tar.gz" >check.log 2>&1); then
    cat "$work/check.log"
    [ -f "$work/scalot.Rcheck/tests/testthat.Rout.fail" ] && cat "$work/scalot.Rcheck/tests/testthat.Rout.fail"
    echo "r: R CMD check failed: 0 passed, 1 failed"
    exit 1
fi
status=$(grep -E '^Status:' "$work/check.log" | tail -n 1)
if grep -qE '^Status: .*(ERROR|WARNING)' <<<"$status"; then
    cat "$work/check.log"
    echo "r: R CMD check: $status: 0 passed, 1 failed"
    exit 1
fi
awk '/\.\.\. NOTE$/{note=1; print; next} /^\*/{note=0} note' "$work/check.log"
grep -E '\[ FAIL [0-9]+ \| WARN [0-9]+ \| SKIP [0-9]+ \| PASS [0-9]+ \]' \
    "$work/scalot.Rcheck/tests/testthat.Rout" || true
echo "r: R CMD check ($status): 1 passed, 0 failed"
