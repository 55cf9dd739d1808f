//! The C tests' fixture headers (`tests/c/fixture_case.h`, `tests/c/rrho_case.h`) hold one case each of
//! `tests/data`, copied by hand; this test is what makes "the values are not edited" true: every define
//! and array equals the JSON case's value, to the bit.

use std::collections::BTreeMap;
use std::path::Path;

use scalot_testkit::json::Json;

/// The `#define NAME value` numbers and `static const double NAME[k] = {...}` arrays of a header.
fn header(relative: &str) -> (BTreeMap<String, f64>, BTreeMap<String, Vec<f64>>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut defines = BTreeMap::new();
    for line in text.lines() {
        if let Some((name, value)) = line
            .strip_prefix("#define ")
            .and_then(|d| d.split_once(' '))
        {
            defines.insert(name.to_string(), value.trim().parse().unwrap());
        }
    }
    let mut arrays = BTreeMap::new();
    for (at, _) in text.match_indices("static const double ") {
        let rest = &text[at + "static const double ".len()..];
        let name = &rest[..rest.find('[').unwrap()];
        let length: usize = rest[name.len() + 1..rest.find(']').unwrap()]
            .parse()
            .unwrap();
        let body = &rest[rest.find('{').unwrap() + 1..rest.find('}').unwrap()];
        let values: Vec<f64> = body
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(values.len(), length, "{relative}: {name}");
        arrays.insert(name.to_string(), values);
    }
    (defines, arrays)
}

/// The case of `file` whose name the header's first line gives, in parentheses.
fn case(relative: &str, file: &str) -> Json {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let first = std::fs::read_to_string(path).unwrap();
    let first = first.lines().next().unwrap();
    let name = &first[first.find('(').unwrap() + 1..first.find(')').unwrap()];
    let data = scalot_testkit::load(file);
    data.field("cases")
        .array()
        .iter()
        .find(|c| c.field("name").str() == name)
        .unwrap_or_else(|| panic!("{file} has no case {name}"))
        .clone()
}

fn same_bits(what: &str, header: &[f64], json: &[f64]) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(header), bits(json), "{what}");
}

#[test]
fn the_sinkhorn_fixture_header_is_its_json_case() {
    let file = "tests/c/fixture_case.h";
    let (defines, arrays) = header(file);
    let case = case(file, "sinkhorn_balanced.json");
    let (x, d) = case.field("x").matrix();
    let (y, _) = case.field("y").matrix();
    for (name, value) in [
        ("FIXTURE_N", (x.len() / d) as f64),
        ("FIXTURE_M", (y.len() / d) as f64),
        ("FIXTURE_D", d as f64),
        ("FIXTURE_EPS", case.field("eps").num()),
        ("FIXTURE_TRANSPORT_COST", case.field("transport_cost").num()),
        ("FIXTURE_REG_OT", case.field("reg_ot").num()),
    ] {
        same_bits(name, &[defines[name]], &[value]);
    }
    same_bits("FIXTURE_X", &arrays["FIXTURE_X"], &x);
    same_bits("FIXTURE_Y", &arrays["FIXTURE_Y"], &y);
    for (name, field) in [
        ("FIXTURE_A", "a"),
        ("FIXTURE_B", "b"),
        ("FIXTURE_F", "f"),
        ("FIXTURE_G", "g"),
    ] {
        same_bits(name, &arrays[name], &case.field(field).vector());
    }
    assert_eq!(defines.len(), 6, "{defines:?}");
    assert_eq!(arrays.len(), 6, "{:?}", arrays.keys());
}

#[test]
fn the_rrho_fixture_header_is_its_json_case() {
    let file = "tests/c/rrho_case.h";
    let (defines, arrays) = header(file);
    let case = case(file, "r_rho.json");
    let (x, d) = case.field("x").matrix();
    let (y, _) = case.field("y").matrix();
    let at = |rho: f64| {
        case.field("values")
            .array()
            .iter()
            .find(|v| v.field("rho").num() == rho)
            .unwrap_or_else(|| panic!("no value at rho = {rho}"))
            .field("r_rho")
            .num()
    };
    for (name, value) in [
        ("RRHO_N", (x.len() / d) as f64),
        ("RRHO_M", (y.len() / d) as f64),
        ("RRHO_D", d as f64),
        ("RRHO_EMD", case.field("emd").num()),
        ("RRHO_VALUE_AT_1_5", at(1.5)),
        ("RRHO_VALUE_AT_2", at(2.0)),
    ] {
        same_bits(name, &[defines[name]], &[value]);
    }
    same_bits("RRHO_X", &arrays["RRHO_X"], &x);
    same_bits("RRHO_Y", &arrays["RRHO_Y"], &y);
    same_bits("RRHO_MU", &arrays["RRHO_MU"], &case.field("mu").vector());
    same_bits("RRHO_NU", &arrays["RRHO_NU"], &case.field("nu").vector());
    assert_eq!(defines.len(), 6, "{defines:?}");
    assert_eq!(arrays.len(), 4, "{:?}", arrays.keys());
}
