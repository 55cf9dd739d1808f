# scalot: build, demo, tests, install. `make check` is the one command that runs every test.
PREFIX  ?= /usr/local
DESTDIR ?=
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
CARGO   ?= cargo
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

.PHONY: build demo check lint test header install julia r fuzz asan clean

build:
	$(CARGO) build --release

demo:
	$(CARGO) run --release --example demo

header:
	SCALOT_UPDATE_HEADER=1 $(CARGO) build

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

# `cargo test` links tests against the rlib only; the C tests need the static and shared libraries built.
test:
	$(CARGO) build
	$(CARGO) test

# Everything: formatting, lints and the doc build, the Rust, C, C++ and valgrind tests (with the replay of every saved
# fuzz input), the Julia binding's static check, an installed-copy build, the R package (installing R
# from Debian when it is missing), the C and C++ tests under ASan and UBSan, and a fuzz smoke run.
check: lint test
	tests/install.sh
	tests/r.sh
	tests/asan.sh
	tests/fuzz.sh 20

# libFuzzer on every target of fuzz/ for FUZZ_SECONDS each (nightly; installs cargo-fuzz if missing).
FUZZ_SECONDS ?= 600
fuzz:
	tests/fuzz.sh $(FUZZ_SECONDS)

# The C and C++ tests with -fsanitize=address,undefined, against a library built with ASan on nightly.
asan:
	tests/asan.sh

# The R package alone: R CMD build and R CMD check against a staged install of the static library.
r:
	tests/r.sh

install: build
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0755 target/release/libscalot.so $(DESTDIR)$(LIBDIR)/libscalot.so
	install -m 0644 target/release/libscalot.a $(DESTDIR)$(LIBDIR)/libscalot.a
	install -m 0644 include/scalot.h $(DESTDIR)$(INCDIR)/scalot.h
	install -m 0644 bindings/cpp/scalot.hpp $(DESTDIR)$(INCDIR)/scalot.hpp
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		scalot.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/scalot.pc

# The Julia package finds the library in its deps directory unless SCALOT_LIB says otherwise.
julia: build
	install -d bindings/julia/Scalot/deps
	install -m 0755 target/release/libscalot.so bindings/julia/Scalot/deps/libscalot.so

clean:
	$(CARGO) clean
