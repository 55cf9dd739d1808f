//! Shared helpers of the integration tests.
#![allow(dead_code)]

pub mod json;

use json::Json;
use scalot::Cost;

pub fn load(name: &str) -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    Json::parse(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
}

pub fn cost_named(name: &str) -> Cost {
    match name {
        "sqeuclidean" => Cost::SqEuclidean,
        "euclidean" => Cost::Euclidean,
        other => panic!("unknown cost {other}"),
    }
}

pub fn relative_error(found: f64, expected: f64) -> f64 {
    (found - expected).abs() / expected.abs().max(1e-300)
}
