//! Compiles the native test programs with the system compilers (found by the `cc` crate) under
//! -Wall -Wextra -Werror, links them against the staticlib and the cdylib, runs them, and runs the static
//! builds under valgrind's leak checker (a missing valgrind fails the test; SCALOT_NO_VALGRIND=1 says to
//! skip it deliberately):
//! - tests/c/lifecycle.c (C11), the C API itself;
//! - tests/cpp/bindings.cpp (C++17), the header-only C++ binding in bindings/cpp.

use std::path::{Path, PathBuf};
use std::process::Command;

/// target/<profile>, where cargo left libscalot.a and libscalot.so for this test run.
fn artifacts_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// A test program: its source, and whether it is C++.
struct Program {
    source: &'static str,
    cpp: bool,
}

const C_LIFECYCLE: Program = Program {
    source: "tests/c/lifecycle.c",
    cpp: false,
};
const CPP_BINDINGS: Program = Program {
    source: "tests/cpp/bindings.cpp",
    cpp: true,
};

fn compile(program: &Program, linkage: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = artifacts_dir();
    let stem = Path::new(program.source)
        .file_stem()
        .unwrap()
        .to_string_lossy();
    let out = dir.join(format!("native_{stem}_{linkage}"));
    for library in ["libscalot.a", "libscalot.so"] {
        assert!(
            dir.join(library).exists(),
            "{} is missing: run `cargo build` before `cargo test` (as `make test` does)",
            library
        );
    }
    let compiler = cc::Build::new()
        .cpp(program.cpp)
        .cargo_metadata(false)
        .target(env!("SCALOT_TARGET"))
        .host(env!("SCALOT_TARGET"))
        .opt_level(1)
        .get_compiler();
    let mut command = compiler.to_command();
    command
        .arg(if program.cpp {
            "-std=c++17"
        } else {
            "-std=c11"
        })
        .args(["-Wall", "-Wextra", "-Werror", "-g"])
        .arg(format!("-I{}", root.join("include").display()))
        .arg(format!("-I{}", root.join("bindings/cpp").display()))
        .arg(format!("-I{}", root.join("tests/c").display()))
        .arg(root.join(program.source))
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
        "compiling {} against the {linkage} library failed",
        program.source
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

/// Runs the static build, then the same binary under valgrind's leak checker.
fn run_with_leak_check(program: &Program) {
    let binary = compile(program, "static");
    let stdout = run(&binary);
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");

    if std::env::var_os("SCALOT_NO_VALGRIND").is_some() {
        return;
    }
    assert!(
        Command::new("valgrind").arg("--version").output().is_ok(),
        "valgrind is not installed (apt-get install valgrind), or set SCALOT_NO_VALGRIND=1 to skip the leak check"
    );
    let output = Command::new("valgrind")
        .args(["--leak-check=full", "--error-exitcode=1", "--quiet"])
        .arg(format!(
            "--suppressions={}",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/c/valgrind.supp")
                .display()
        ))
        .arg(&binary)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "valgrind found errors in {}:\n{}",
        program.source,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn c_lifecycle_against_the_static_library() {
    run_with_leak_check(&C_LIFECYCLE);
}

#[test]
fn c_lifecycle_against_the_shared_library() {
    let stdout = run(&compile(&C_LIFECYCLE, "shared"));
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

#[test]
fn cpp_bindings_against_the_static_library() {
    run_with_leak_check(&CPP_BINDINGS);
}

#[test]
fn cpp_bindings_against_the_shared_library() {
    let stdout = run(&compile(&CPP_BINDINGS, "shared"));
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
