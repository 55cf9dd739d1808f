//! Compiles tests/c/lifecycle.c with the system C compiler (found by the `cc` crate) under
//! -Wall -Wextra -Werror, links it against the staticlib and the cdylib, runs both, and runs the static
//! build under valgrind's leak checker when valgrind is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// target/<profile>, where cargo left libscalot.a and libscalot.so for this test run.
fn artifacts_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

fn compile(linkage: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = artifacts_dir();
    let out = dir.join(format!("c_lifecycle_{linkage}"));
    for library in ["libscalot.a", "libscalot.so"] {
        assert!(
            dir.join(library).exists(),
            "{} is missing: run `cargo build` before `cargo test` (as `make test` does)",
            library
        );
    }
    let compiler = cc::Build::new()
        .cargo_metadata(false)
        .target(env!("SCALOT_TARGET"))
        .host(env!("SCALOT_TARGET"))
        .opt_level(1)
        .get_compiler();
    let mut command = compiler.to_command();
    command
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g"])
        .arg(format!("-I{}", root.join("include").display()))
        .arg(format!("-I{}", root.join("tests/c").display()))
        .arg(root.join("tests/c/lifecycle.c"))
        .arg("-o")
        .arg(&out);
    match linkage {
        "static" => command
            .arg(dir.join("libscalot.a"))
            .args(["-lpthread", "-ldl", "-lm"]),
        _ => command
            .arg(format!("-L{}", dir.display()))
            .arg(format!("-Wl,-rpath,{}", dir.display()))
            .args(["-lscalot", "-lm"]),
    };
    let status = command.status().expect("the C compiler runs");
    assert!(
        status.success(),
        "compiling lifecycle.c against the {linkage} library failed"
    );
    out
}

fn run(program: &Path) -> String {
    let output = Command::new(program).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{} failed:\n{stdout}\n{}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn c_lifecycle_against_the_static_library() {
    let program = compile("static");
    let stdout = run(&program);
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");

    if Command::new("valgrind").arg("--version").output().is_ok() {
        let output = Command::new("valgrind")
            .args(["--leak-check=full", "--error-exitcode=1", "--quiet"])
            .arg(format!(
                "--suppressions={}",
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/c/valgrind.supp")
                    .display()
            ))
            .arg(&program)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "valgrind found errors:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    } else {
        eprintln!("valgrind is not installed: leak check skipped");
    }
}

#[test]
fn c_lifecycle_against_the_shared_library() {
    let stdout = run(&compile("shared"));
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
