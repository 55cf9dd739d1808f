//! Replays, on stable, every saved input of the fuzz targets (`fuzz/`): the seed corpus in
//! `fuzz/seeds/<target>/` and every input that ever crashed a target or returned a non-finite value
//! under OK, in `fuzz/regressions/<target>/`. Each runs through the target's own body, with its checks.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|entry| entry.expect("a readable directory").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("a readable input");
            (path.display().to_string(), bytes)
        })
        .collect()
}

#[test]
fn every_saved_input_replays_without_a_broken_invariant() {
    let (mut replayed, mut broken) = (0, Vec::new());
    for (target, body) in harness::TARGETS {
        let seeds = inputs("seeds", target);
        assert!(!seeds.is_empty(), "fuzz/seeds/{target} has no inputs");
        for (path, bytes) in seeds.iter().chain(&inputs("regressions", target)) {
            if std::panic::catch_unwind(|| body(bytes)).is_err() {
                broken.push(path.clone());
            }
            replayed += 1;
        }
    }
    assert!(
        broken.is_empty(),
        "inputs that broke an invariant: {broken:#?}"
    );
    eprintln!("replayed {replayed} inputs");
}

#[test]
fn the_decoder_reads_past_the_end_as_zeros() {
    let mut input = harness::Input::new(&[7]);
    assert_eq!(input.byte(), 7);
    assert_eq!(input.byte(), 0);
    assert_eq!(input.small(5), 0);
    // The empty input decodes for every target: one size-1 problem or an early refusal.
    for (_, body) in harness::TARGETS {
        body(&[]);
    }
}
