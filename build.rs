//! Generates the C header from `src/ffi` into `OUT_DIR`, where the header test compares it with the
//! committed `include/scalot.h`. Set `SCALOT_UPDATE_HEADER=1` (as `make header` does) to rewrite the
//! committed copy; an ordinary build never touches the source tree.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=SCALOT_UPDATE_HEADER");

    // The C test compiles for the target this crate is built for.
    println!(
        "cargo:rustc-env=SCALOT_TARGET={}",
        env::var("TARGET").unwrap()
    );

    let crate_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    config.after_includes = Some(format!(
        "\n#define SCALOT_VERSION_MAJOR {}\n#define SCALOT_VERSION_MINOR {}\n#define SCALOT_VERSION_PATCH {}\n",
        env::var("CARGO_PKG_VERSION_MAJOR").unwrap(),
        env::var("CARGO_PKG_VERSION_MINOR").unwrap(),
        env::var("CARGO_PKG_VERSION_PATCH").unwrap(),
    ));

    let header = match cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .generate()
    {
        Ok(header) => header,
        Err(error) => panic!("cbindgen could not generate scalot.h: {error}"),
    };

    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("scalot.h");
    header.write_to_file(&out);
    if env::var_os("SCALOT_UPDATE_HEADER").is_some_and(|v| v == "1") {
        header.write_to_file(crate_dir.join("include/scalot.h"));
    }
}
