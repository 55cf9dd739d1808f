//! Every enumeration value and default the Julia and R bindings write down equals the header's: a
//! binding's `Cint(12)` or `2L` is a copy of `include/scalot.h`, and this test is what keeps it one.

use std::collections::BTreeMap;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Upper case without separators: `k_means_plus_plus`, `kmeans_plus_plus` and `K_MEANS_PLUS_PLUS`
/// all read `KMEANSPLUSPLUS`.
fn normal(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The header's enumerators (`SCALOT_COST_SQ_EUCLIDEAN = 0,`) and numeric defines, by name.
fn header_values() -> BTreeMap<String, String> {
    read("include/scalot.h")
        .lines()
        .filter_map(|line| {
            let line = line.trim().trim_end_matches(',');
            if let Some(define) = line.strip_prefix("#define ") {
                let (name, value) = define.split_once(' ')?;
                return Some((name.to_string(), value.trim().to_string()));
            }
            let (name, value) = line.split_once(" = ")?;
            name.starts_with("SCALOT_")
                .then(|| (name.to_string(), value.to_string()))
        })
        .collect()
}

/// The header's enumerator of `family` (`COST`, `KERNEL_KIND`) with `value`, if any.
fn enumerator(header: &BTreeMap<String, String>, family: &str, value: i64) -> Option<String> {
    let prefix = format!("SCALOT_{family}_");
    header
        .iter()
        .find(|(name, v)| name.starts_with(&prefix) && v.parse::<i64>().ok() == Some(value))
        .map(|(name, _)| name[prefix.len()..].to_string())
}

/// Checks that `family`'s enumerator `value` is the one the binding calls `symbol`: the header's name
/// ends with the symbol (R says `f64` for `STORED_F64`).
fn check(
    header: &BTreeMap<String, String>,
    binding: &str,
    family: &str,
    symbol: &str,
    value: i64,
    failures: &mut Vec<String>,
) {
    match enumerator(header, family, value) {
        Some(name) if normal(&name).ends_with(&normal(symbol)) => {}
        found => failures.push(format!(
            "{binding}: {family} {symbol} = {value}, the header has {found:?} = {value}"
        )),
    }
}

/// `(symbol, value)` for each `:symbol => Cint(v)` or `Cint(v) => :symbol` of a Julia `Dict(...)`.
fn julia_pairs(body: &str) -> Vec<(String, i64)> {
    body.split(',')
        .filter_map(|entry| {
            let (left, right) = entry.split_once("=>")?;
            let (left, right) = (left.trim(), right.trim());
            let (symbol, code) = if left.starts_with(':') {
                (left, right)
            } else {
                (right, left)
            };
            let value = code
                .strip_prefix("Cint(")?
                .strip_suffix(')')?
                .parse()
                .ok()?;
            Some((symbol.trim_start_matches(':').to_string(), value))
        })
        .collect()
}

#[test]
fn the_julia_binding_s_constants_are_the_header_s() {
    let header = header_values();
    let source = read("bindings/julia/Scalot/src/Scalot.jl");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line_start in source.match_indices("\nconst ").map(|(at, _)| at + 7) {
        let line = &source[line_start..];
        let Some((name, rest)) = line.split_once(" = ") else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(open) = rest.find("Dict(").filter(|&at| at == 0) {
            // COSTS, DENSE_MODES, ...: the family is the name without its plural's s.
            let family = name.strip_suffix('S').unwrap_or(name);
            let pairs = julia_pairs(scalot_testkit::balanced(rest, open + 4));
            assert!(!pairs.is_empty(), "{name}: no entries read");
            for (symbol, value) in pairs {
                check(&header, "Julia", family, &symbol, value, &mut failures);
                checked += 1;
            }
        } else if let Some(code) = rest.strip_prefix("Cint(") {
            let value: i64 = code[..code.find(')').unwrap()].parse().unwrap();
            // STATUS_OK, LAYOUT_ROW_MAJOR: the header's name is the binding's with the prefix.
            let full = format!("SCALOT_{name}");
            if header.get(&full).and_then(|v| v.parse::<i64>().ok()) != Some(value) {
                failures.push(format!(
                    "Julia: {name} = {value}, the header has {full} = {:?}",
                    header.get(&full)
                ));
            }
            checked += 1;
        } else if let Some(default) = header.get(&format!("SCALOT_{name}")) {
            let value = rest.lines().next().unwrap().trim();
            let same = value.parse::<f64>().ok() == default.parse::<f64>().ok();
            if !same {
                failures.push(format!(
                    "Julia: {name} = {value}, the header defines {default}"
                ));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        checked >= 30,
        "only {checked} constants read from Scalot.jl"
    );
}

/// `(name, value)` for each `name = 2L` of an R `c(...)`.
fn r_pairs(body: &str) -> Vec<(String, i64)> {
    body.split(',')
        .filter_map(|entry| {
            let (name, code) = entry.split_once('=')?;
            let value = code.trim().strip_suffix('L')?.parse().ok()?;
            Some((name.trim().to_string(), value))
        })
        .collect()
}

/// The body of `name <- c(...)` in `source`.
fn r_vector<'a>(source: &'a str, name: &str) -> &'a str {
    let start = source
        .find(&format!("{name} <- c("))
        .unwrap_or_else(|| panic!("{name} is not defined"));
    scalot_testkit::balanced(source, start + name.len() + 5)
}

#[test]
fn the_r_binding_s_codes_are_the_header_s() {
    let header = header_values();
    let r = "bindings/r/scalot/R";
    let (kernel, align) = (
        read(&format!("{r}/kernel.R")),
        read(&format!("{r}/align.R")),
    );
    let mut failures = Vec::new();
    for (source, vector, family) in [
        (&kernel, "cost_codes", "COST"),
        (&kernel, "mode_codes", "DENSE_MODE"),
        (&align, "align_kernels", "ALIGN_KERNEL"),
    ] {
        let pairs = r_pairs(r_vector(source, vector));
        assert!(!pairs.is_empty(), "{vector}: no entries read");
        for (symbol, value) in pairs {
            check(&header, "R", family, &symbol, value, &mut failures);
        }
    }
    // kind_names lists the kinds in code order.
    let kinds: Vec<&str> = r_vector(&kernel, "kind_names")
        .split(',')
        .map(|name| name.trim().trim_matches('"'))
        .collect();
    assert!(!kinds.is_empty());
    for (value, symbol) in kinds.iter().enumerate() {
        check(
            &header,
            "R",
            "KERNEL_KIND",
            symbol,
            value as i64,
            &mut failures,
        );
    }
    if enumerator(&header, "KERNEL_KIND", kinds.len() as i64).is_some() {
        failures.push(format!("R: kind_names stops at {} kinds", kinds.len()));
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
