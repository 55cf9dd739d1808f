//! Static check of the Julia binding, since no Julia runtime exists on the build machines: every `ccall`
//! in bindings/julia/Scalot/src must name a function of include/scalot.h, with as many arguments, and
//! Julia types that match the C types; every C function must be wrapped; and the Julia mirror of each
//! C struct must have the C struct's fields. A deliberately broken copy must fail the same check.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use scalot_testkit::balanced;

/// A C prototype: return type and parameter types, each normalised (no `const`, single spaces).
struct Prototype {
    returns: String,
    parameters: Vec<String>,
}

/// One `ccall` as written: symbol, return type, argument types, and the argument count passed.
struct Ccall {
    symbol: String,
    returns: String,
    parameters: Vec<String>,
    arguments: usize,
    line: usize,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn normalise_c_type(t: &str) -> String {
    let t = t.replace("const ", "").replace('*', " * ");
    let words: Vec<&str> = t.split_whitespace().collect();
    words.join(" ").replace("* *", "**")
}

/// Splits at commas outside (), {} and [].
fn split_top_level(s: &str) -> Vec<String> {
    let (mut parts, mut depth, mut current) = (Vec::new(), 0i32, String::new());
    for c in s.chars() {
        match c {
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_string());
    }
    parts
}

fn header_prototypes(header: &str) -> BTreeMap<String, Prototype> {
    let mut prototypes = BTreeMap::new();
    let body: String = header
        .lines()
        .filter(|l| !l.trim_start().starts_with('*') && !l.trim_start().starts_with("/*"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = body.as_str();
    let mut pos = 0;
    while let Some(offset) = text[pos..].find("scalot_") {
        let at = pos + offset;
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let prefix = text[line_start..at].trim();
        let name_end = at
            + text[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(text.len() - at);
        let is_prototype = !prefix.is_empty()
            && !prefix.starts_with('#')
            && !prefix.starts_with("typedef")
            && !prefix.contains('(')
            && text[name_end..].starts_with('(');
        if is_prototype {
            let name = text[at..name_end].to_string();
            let parameters = balanced(text, name_end)
                .split(',')
                .map(str::trim)
                .filter(|p| *p != "void" && !p.is_empty())
                .map(|p| {
                    let name_start = p
                        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map_or(0, |i| i + 1);
                    normalise_c_type(&p[..name_start])
                })
                .collect();
            prototypes.insert(
                name,
                Prototype {
                    returns: normalise_c_type(prefix),
                    parameters,
                },
            );
        }
        pos = name_end;
    }
    prototypes
}

/// `typedef struct { … } name;` → field types in order.
fn header_structs(header: &str) -> BTreeMap<String, Vec<String>> {
    let mut structs = BTreeMap::new();
    let mut rest = header;
    while let Some(at) = rest.find("typedef struct {") {
        let body_start = at + "typedef struct {".len();
        let body_end = body_start + rest[body_start..].find('}').unwrap();
        let tail = &rest[body_end + 1..];
        let name = tail[..tail.find(';').unwrap()].trim().to_string();
        let fields = rest[body_start..body_end]
            .lines()
            .map(str::trim)
            .filter(|l| l.ends_with(';') && !l.starts_with('*') && !l.starts_with("/*"))
            .map(|l| {
                let decl = l.trim_end_matches(';');
                let split = decl.rfind(' ').unwrap();
                normalise_c_type(&decl[..split])
            })
            .collect();
        structs.insert(name, fields);
        rest = tail;
    }
    structs
}

fn opaque_types(header: &str) -> BTreeSet<String> {
    let mut opaque: BTreeSet<String> = header
        .lines()
        .filter_map(|l| l.strip_prefix("typedef struct "))
        .filter(|l| !l.starts_with('{'))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    opaque.insert("void".into());
    opaque
}

fn julia_ccalls(source: &str) -> Vec<Ccall> {
    let mut calls = Vec::new();
    let mut from = 0;
    while let Some(offset) = source[from..].find("ccall(") {
        let open = from + offset + "ccall".len();
        let inside = balanced(source, open);
        let parts = split_top_level(inside);
        let line = source[..open].lines().count();
        let target = parts[0].trim_start_matches('(').trim_end_matches(')');
        let symbol = target
            .split(',')
            .next()
            .unwrap()
            .trim()
            .trim_start_matches(':')
            .to_string();
        let types = parts[2].trim();
        let types = &types[1..types.len() - 1];
        calls.push(Ccall {
            symbol,
            returns: parts[1].clone(),
            parameters: split_top_level(types),
            arguments: parts.len() - 3,
            line,
        });
        from = open + inside.len();
    }
    calls
}

/// `struct Name … end` blocks of the Julia source: field types in order.
fn julia_structs(source: &str) -> BTreeMap<String, Vec<String>> {
    let mut structs = BTreeMap::new();
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        if let Some(name) = line.trim().strip_prefix("struct ") {
            let name = name.split(['<', ' ']).next().unwrap().to_string();
            let fields = lines
                .by_ref()
                .take_while(|l| l.trim() != "end")
                .filter_map(|l| l.split_once("::").map(|(_, t)| t.trim().to_string()))
                .collect();
            structs.insert(name, fields);
        }
    }
    structs
}

/// Whether a Julia type in a ccall signature passes the C type.
fn compatible(
    julia: &str,
    c: &str,
    opaque: &BTreeSet<String>,
    mirrors: &BTreeMap<String, String>,
) -> bool {
    let pointee = |j: &str| {
        j.strip_prefix("Ptr{")
            .or_else(|| j.strip_prefix("Ref{"))
            .and_then(|t| t.strip_suffix('}'))
            .map(str::to_string)
    };
    if let Some(c_pointee) = c
        .strip_suffix(" *")
        .or_else(|| c.strip_suffix(" **").map(|_| ""))
    {
        if c.ends_with(" **") {
            let base = c.trim_end_matches(" **");
            return opaque.contains(base)
                && matches!(pointee(julia).as_deref(), Some("Ptr{Cvoid}"));
        }
        if c_pointee == "char" {
            return julia == "Cstring" || julia == "Ptr{UInt8}";
        }
        if opaque.contains(c_pointee) || c_pointee.ends_with("_callback") {
            return julia == "Ptr{Cvoid}";
        }
        return match pointee(julia) {
            Some(inner) => compatible(&inner, c_pointee, opaque, mirrors),
            None => false,
        };
    }
    if c.ends_with("_callback") {
        return julia == "Ptr{Cvoid}";
    }
    match c {
        "double" => julia == "Cdouble" || julia == "Float64",
        "size_t" => julia == "Csize_t" || julia == "UInt",
        "uint64_t" => julia == "UInt64" || julia == "Culonglong",
        "int" | "scalot_status" => julia == "Cint" || julia == "Int32",
        "bool" => julia == "Bool",
        "void" => julia == "Cvoid" || julia == "Nothing",
        other => mirrors.get(julia).is_some_and(|mirrored| mirrored == other),
    }
}

/// Every problem the check finds in the Julia sources under `dir`, against `header`.
fn check(dir: &Path, header: &str) -> Vec<String> {
    let prototypes = header_prototypes(header);
    let c_structs = header_structs(header);
    let opaque = opaque_types(header);
    let mut problems = Vec::new();
    let mut wrapped = BTreeSet::new();
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jl") {
            sources.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    assert!(!sources.is_empty(), "no Julia sources in {}", dir.display());

    // Julia mirrors of C structs: the Julia struct whose name is the C name without `scalot_` in
    // CamelCase, e.g. KernelProperties for scalot_kernel_properties.
    let mut mirrors = BTreeMap::new();
    for (path, source) in &sources {
        for (name, fields) in julia_structs(source) {
            let c_name = format!("scalot_{}", snake_case(&name));
            let Some(c_fields) = c_structs.get(&c_name) else {
                continue;
            };
            mirrors.insert(name.clone(), c_name.clone());
            let fits = fields.len() == c_fields.len()
                && fields.iter().zip(c_fields).all(|(j, c)| {
                    let c = if c.starts_with("scalot_") && c.ends_with("_kind") {
                        "int"
                    } else {
                        c
                    };
                    compatible(j, c, &opaque, &BTreeMap::new())
                });
            if !fits {
                problems.push(format!(
                    "{}: struct {name} {fields:?} does not mirror {c_name} {c_fields:?}",
                    path.display()
                ));
            }
        }
    }

    for (path, source) in &sources {
        for call in julia_ccalls(source) {
            let at = format!("{}:{}", path.display(), call.line);
            let Some(prototype) = prototypes.get(&call.symbol) else {
                problems.push(format!("{at}: {} is not in scalot.h", call.symbol));
                continue;
            };
            wrapped.insert(call.symbol.clone());
            if call.parameters.len() != prototype.parameters.len()
                || call.arguments != prototype.parameters.len()
            {
                problems.push(format!(
                    "{at}: {} takes {} arguments; the ccall declares {} types and passes {}",
                    call.symbol,
                    prototype.parameters.len(),
                    call.parameters.len(),
                    call.arguments
                ));
                continue;
            }
            if !compatible(&call.returns, &prototype.returns, &opaque, &mirrors) {
                problems.push(format!(
                    "{at}: {} returns {}, declared {}",
                    call.symbol, prototype.returns, call.returns
                ));
            }
            for (k, (j, c)) in call
                .parameters
                .iter()
                .zip(&prototype.parameters)
                .enumerate()
            {
                if !compatible(j, c, &opaque, &mirrors) {
                    problems.push(format!(
                        "{at}: {} argument {} is {c}, declared {j}",
                        call.symbol,
                        k + 1
                    ));
                }
            }
        }
    }
    for name in prototypes.keys() {
        if !wrapped.contains(name) {
            problems.push(format!("{name} has no ccall in the Julia binding"));
        }
    }
    problems
}

fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn julia_sources() -> PathBuf {
    root().join("bindings/julia/Scalot/src")
}

fn header() -> String {
    std::fs::read_to_string(root().join("include/scalot.h")).unwrap()
}

#[test]
fn every_ccall_matches_the_header_and_every_function_is_wrapped() {
    let header = header();
    assert!(
        header_prototypes(&header).len() >= 30,
        "the header parser found too few prototypes"
    );
    let problems = check(&julia_sources(), &header);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Writes a copy of the Julia sources with one edit applied and returns the check's findings.
fn check_broken_copy(name: &str, from: &str, to: &str) -> Vec<String> {
    let source = std::fs::read_to_string(julia_sources().join("Scalot.jl")).unwrap();
    assert!(source.contains(from), "{name}: the edit does not apply");
    let dir =
        std::env::temp_dir().join(format!("scalot-julia-broken-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Scalot.jl"), source.replacen(from, to, 1)).unwrap();
    let problems = check(&dir, &header());
    std::fs::remove_dir_all(&dir).unwrap();
    problems
}

#[test]
fn a_broken_copy_fails_the_check() {
    let cases = [
        (
            "wrong-type",
            "(:scalot_set_num_threads, libscalot), Cint, (Csize_t,)",
            "(:scalot_set_num_threads, libscalot), Cint, (Cint,)",
            "scalot_set_num_threads argument 1",
        ),
        (
            "missing-argument",
            "(Ptr{Cvoid}, Ptr{Csize_t}, Ptr{Csize_t}), p, n, m)",
            "(Ptr{Cvoid}, Ptr{Csize_t}), p, n)",
            "scalot_plan_shape takes 3 arguments",
        ),
        (
            "unknown-symbol",
            ":scalot_plan_mass,",
            ":scalot_plan_mas,",
            "scalot_plan_mas is not in scalot.h",
        ),
        (
            "unwrapped",
            ":scalot_plan_dual_objective,",
            ":scalot_plan_regularized_objective,",
            "scalot_plan_dual_objective has no ccall",
        ),
        (
            "wrong-return",
            "(:scalot_version, libscalot), Cstring",
            "(:scalot_version, libscalot), Cint",
            "scalot_version returns",
        ),
        (
            "struct-mirror",
            "    epsilon::Cdouble\n",
            "    epsilon::Cint\n",
            "does not mirror scalot_kernel_properties",
        ),
    ];
    for (name, from, to, expected) in cases {
        let problems = check_broken_copy(name, from, to);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{name}: expected a problem containing {expected:?}, found {problems:?}"
        );
    }
}
