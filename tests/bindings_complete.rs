//! Every C function of include/scalot.h has its wrapper in the C++ header and in the R package's `.Call`
//! glue, and every registered R entry point is called from the package's R code. (The Julia binding has
//! its own, stricter, type-checking test in julia_ccalls.rs.)

use std::collections::BTreeSet;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_dir(relative: &str, extension: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// The identifier that ends just before byte `end` of `text`.
fn identifier_before(text: &str, end: usize) -> &str {
    let start = text[..end]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    &text[start..end]
}

/// The functions the header declares: prototypes start at column 0 with their return type.
fn c_functions(header: &str) -> BTreeSet<String> {
    header
        .lines()
        .filter(|line| {
            line.starts_with(|c: char| c.is_ascii_alphabetic())
                && !line.starts_with("typedef")
                && !line.starts_with("extern")
        })
        .filter_map(|line| {
            line.find('(')
                .map(|open| identifier_before(line, open).to_string())
        })
        .filter(|name| name.starts_with("scalot_"))
        .collect()
}

/// `source` without its `/* */` and `//` comments, so that a mention in a comment wraps nothing.
fn without_comments(source: &str) -> String {
    let mut code = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find(['/']) {
        code.push_str(&rest[..start]);
        let tail = &rest[start..];
        if let Some(body) = tail.strip_prefix("/*") {
            rest = body.find("*/").map_or("", |end| &body[end + 2..]);
        } else if tail.starts_with("//") {
            rest = tail.find('\n').map_or("", |end| &tail[end..]);
        } else {
            code.push('/');
            rest = &tail[1..];
        }
    }
    code.push_str(rest);
    code
}

/// The names in `functions` that the code of `source` never uses: called, or passed as a function
/// pointer to a helper that calls it.
fn unused(functions: &BTreeSet<String>, source: &str) -> Vec<String> {
    let code = without_comments(source);
    let used: BTreeSet<&str> = code
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    functions
        .iter()
        .filter(|f| !used.contains(f.as_str()))
        .cloned()
        .collect()
}

/// The names `source` defines after `marker`, up to the next `(`.
fn defined(source: &str, marker: &str) -> BTreeSet<String> {
    source
        .match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &source[at + marker.len()..];
            rest.find('(').map(|open| rest[..open].trim().to_string())
        })
        .collect()
}

#[test]
fn the_header_declares_every_exported_function_and_no_other() {
    let functions = c_functions(&read("include/scalot.h"));
    let exported = defined(&read_dir("src/ffi", "rs"), "pub extern \"C\" fn ");
    assert!(exported.contains("scalot_sinkhorn_solve"), "{exported:?}");
    assert_eq!(functions, exported, "header against src/ffi");
}

#[test]
fn cpp_wraps_every_c_function() {
    let functions = c_functions(&read("include/scalot.h"));
    let missing = unused(&functions, &read("bindings/cpp/scalot.hpp"));
    assert!(missing.is_empty(), "scalot.hpp does not wrap {missing:?}");
}

#[test]
fn r_glue_wraps_every_c_function() {
    let functions = c_functions(&read("include/scalot.h"));
    let missing = unused(&functions, &read_dir("bindings/r/scalot/src", "c"));
    assert!(missing.is_empty(), "the R glue does not wrap {missing:?}");
}

#[test]
fn every_registered_r_entry_point_is_called_from_r() {
    let init = read("bindings/r/scalot/src/init.c");
    let r_code = read_dir("bindings/r/scalot/R", "R");
    let registered: Vec<&str> = init
        .lines()
        .filter_map(|l| l.trim().strip_prefix("ENTRY("))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let entries = defined(&read_dir("bindings/r/scalot/src", "c"), "\nSEXP ");
    let entries: BTreeSet<&str> = entries
        .iter()
        .map(String::as_str)
        .filter(|name| name.starts_with("scalot_r_"))
        .collect();
    assert_eq!(
        registered.iter().copied().collect::<BTreeSet<_>>(),
        entries,
        "init.c registers every .Call entry the glue defines, and no other"
    );
    for entry in registered {
        assert!(
            r_code.contains(&format!(".Call({entry},"))
                || r_code.contains(&format!(".Call({entry})")),
            "no R function calls the registered entry point {entry}"
        );
    }
}

#[test]
fn a_binding_missing_a_wrapper_is_reported() {
    let functions = c_functions(&read("include/scalot.h"));
    let glue = read_dir("bindings/r/scalot/src", "c")
        .replace("scalot_plan_top_k(", "/* scalot_plan_top_k */ gone(");
    assert_eq!(
        unused(&functions, &glue),
        vec!["scalot_plan_top_k".to_string()]
    );
}
