//! The committed header is what cbindgen generates now, and its version macros are Cargo.toml's.

use std::path::Path;

fn committed() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/scalot.h"))
        .expect("include/scalot.h exists")
}

#[test]
fn committed_header_is_fresh() {
    let fresh = include_str!(concat!(env!("OUT_DIR"), "/scalot.h"));
    assert!(
        committed() == fresh,
        "include/scalot.h is stale: run `make header` and commit it"
    );
}

#[test]
fn version_macros_match_cargo_toml() {
    let header = committed();
    for (macro_name, value) in [
        ("SCALOT_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("SCALOT_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("SCALOT_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define {macro_name} {value}\n");
        assert!(header.contains(&line), "header lacks `{}`", line.trim());
    }
    // SAFETY: scalot_version returns a static NUL-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(scalot::ffi::library::scalot_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn every_function_is_documented() {
    let header = committed();
    let lines: Vec<&str> = header.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let is_prototype = (line.starts_with("scalot_status scalot_")
            || line.starts_with("void scalot_")
            || line.starts_with("const char *scalot_"))
            && line.contains('(');
        if is_prototype {
            assert!(i > 0 && lines[i - 1].trim() == "*/", "undocumented: {line}");
        }
    }
}
