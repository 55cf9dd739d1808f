//! What scalot's tests, benchmarks and demo share, the same on every machine: seeded data (one
//! generator, SplitMix64 with Box–Muller normals; the clouds the benchmark tables use; synthetic
//! bilingual embeddings with a known rotation), the reference fixtures of `tests/data` and the checks
//! the tests make on messages. A dev-dependency only; nothing here ships.

pub mod data;
pub mod embeddings;
pub mod json;

use json::Json;
use scalot::Cost;

/// The fixture `tests/data/<name>`, parsed.
pub fn load(name: &str) -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name);
    Json::parse(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
}

/// The cost a fixture names.
pub fn cost_named(name: &str) -> Cost {
    match name {
        "sqeuclidean" => Cost::SqEuclidean,
        "euclidean" => Cost::Euclidean,
        other => panic!("unknown cost {other}"),
    }
}

/// The library's last error message.
pub fn last_error() -> String {
    // SAFETY: scalot_last_error_message returns a NUL-terminated string that lives until the next call
    // into the library on this thread, and it is copied before any such call.
    unsafe { std::ffi::CStr::from_ptr(scalot::ffi::library::scalot_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Whether `message` holds `word` as a word of its own: not inside a longer name, so that "n" is found
/// in "n = 0" but not in "is empty: at least one entry".
pub fn names(message: &str, word: &str) -> bool {
    let inside = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    message.match_indices(word).any(|(at, _)| {
        !inside(message[..at].chars().next_back())
            && !inside(message[at + word.len()..].chars().next())
    })
}

/// The text inside the parentheses that open at `open` (an index of '(').
pub fn balanced(text: &str, open: usize) -> &str {
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses at byte {open}")
}

/// |found − expected| / |expected|.
pub fn relative_error(found: f64, expected: f64) -> f64 {
    (found - expected).abs() / expected.abs().max(1e-300)
}
