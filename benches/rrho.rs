//! The R_ρ solver: time to tolerance, passes and time per pass, for the exact and the tree engine, on
//! clustered data in d = 64 (a mixture of 20 Gaussians, centres in the unit cube, spread 0.05), n = m,
//! ρ = 1.5 (the tree engine needs ρ = 1 + 1/k), tolerance 1e-4 on both marginal errors.
//!
//! `cargo bench --bench rrho -- exact 1000 5000 20000`: the exact engine, with each pass against the
//! time faer's product takes for that pass's distance expansion (2·n·m·d flops), measured in the same
//! run.
//! `cargo bench --bench rrho -- tree 1000 5000 20000 100000`: the tree engine at accuracy 0.05 (400
//! near-field draws per row) and, up to n = 20,000, the exact engine on the same problem for the value
//! error. `d=8` and `accuracy=0.02` among the arguments change the dimension and the tree's accuracy.

use std::sync::Arc;
use std::time::Instant;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use scalot::rrho::{self, Engine};
use scalot::{Layout, PointCloud, Preprocessing, RrhoOptions, RrhoProblem};
use scalot_testkit::data::{self, Rng};

const RHO: f64 = 1.5;
const TOLERANCE: f64 = 1e-4;
/// The largest n the exact engine is run at as the tree engine's reference.
const EXACT_REFERENCE_UP_TO: usize = 20_000;

/// The settings of a run: `d=64` and, for the tree engine, `accuracy=0.05` by default.
struct Settings {
    d: usize,
    accuracy: f64,
    sizes: Vec<usize>,
}

fn problem(n: usize, d: usize) -> Arc<RrhoProblem> {
    let mut rng = Rng(7);
    let centres = data::centres(&mut rng, 20, d);
    let x = data::mixture(&mut rng, n, &centres, d, 0.05);
    let y = data::mixture(&mut rng, n, &centres, d, 0.05);
    let xs = PointCloud::new("x", &x, n, d, Layout::RowMajor).unwrap();
    let ys = PointCloud::new("y", &y, n, d, Layout::RowMajor).unwrap();
    Arc::new(RrhoProblem::new(&xs, &ys, None, None, RHO, Preprocessing::default()).unwrap())
}

struct Run {
    seconds: f64,
    passes: usize,
    value: f64,
    errors: (f64, f64),
    converged: bool,
}

fn run(problem: &Arc<RrhoProblem>, engine: Engine) -> Run {
    let mut options = RrhoOptions::default();
    options
        .set_tolerance(TOLERANCE)
        .unwrap()
        .set_max_passes(2_000)
        .unwrap()
        .set_engine(engine)
        .unwrap();
    let start = Instant::now();
    let solution = rrho::solve(problem, &options).unwrap();
    Run {
        seconds: start.elapsed().as_secs_f64(),
        passes: solution.passes(),
        value: solution.value(),
        errors: solution.marginal_errors(),
        converged: solution.converged(),
    }
}

/// Seconds faer's parallel product takes for the n × m × d distance expansion of one pass (median of 5).
fn expansion_seconds(n: usize, d: usize) -> f64 {
    let a = Mat::<f64>::from_fn(n, d, |i, k| ((i * 31 + k * 7) % 97) as f64 / 97.0);
    let b = Mat::<f64>::from_fn(d, n, |k, j| ((j * 17 + k * 3) % 89) as f64 / 89.0);
    // The engine takes rows in tiles against all columns; one product of all rows times the same flops.
    let mut c = Mat::<f64>::zeros(n.min(4_096), n);
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for rows in (0..n).step_by(c.nrows()) {
                let height = c.nrows().min(n - rows);
                matmul(
                    c.as_mut().subrows_mut(0, height),
                    Accum::Replace,
                    a.as_ref().subrows(rows, height),
                    b.as_ref(),
                    1.0,
                    Par::rayon(0),
                );
            }
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}

fn exact(settings: &Settings) {
    let d = settings.d;
    println!(
        "exact engine, d = {d}, rho = {RHO}, tolerance {TOLERANCE:e}, {} threads",
        scalot::threads::num_threads()
    );
    println!("| n | passes | s to tolerance | ms/pass | expansion ms | ratio | R_rho | errors (alpha, beta) |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---|");
    for &n in &settings.sizes {
        let problem = problem(n, d);
        let r = run(&problem, Engine::Exact);
        let per_pass = r.seconds / r.passes as f64;
        let expansion = expansion_seconds(n, d);
        println!(
            "| {n} | {}{} | {:.3} | {:.2} | {:.2} | {:.1} | {:.8} | {:.1e}, {:.1e} |",
            r.passes,
            if r.converged { "" } else { " (cap)" },
            r.seconds,
            1e3 * per_pass,
            1e3 * expansion,
            per_pass / expansion,
            r.value,
            r.errors.0,
            r.errors.1
        );
    }
}

fn tree(settings: &Settings) {
    let (d, accuracy) = (settings.d, settings.accuracy);
    println!(
        "tree engine at accuracy {accuracy:e} (exact engine as reference up to n = {EXACT_REFERENCE_UP_TO}), d = {d}, rho = {RHO}, tolerance {TOLERANCE:e}, {} threads",
        scalot::threads::num_threads()
    );
    println!("| n | passes | s to tolerance | ms/pass | R_rho | exact s | exact R_rho | relative value error |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &settings.sizes {
        let problem = problem(n, d);
        let t = run(&problem, Engine::Tree { accuracy });
        let (exact_seconds, exact_value, error) = if n <= EXACT_REFERENCE_UP_TO {
            let e = run(&problem, Engine::Exact);
            (
                format!("{:.3}", e.seconds),
                format!("{:.8}", e.value),
                format!("{:.1e}", (t.value - e.value).abs() / e.value),
            )
        } else {
            ("–".into(), "–".into(), "–".into())
        };
        println!(
            "| {n} | {}{} | {:.3} | {:.2} | {:.8} | {exact_seconds} | {exact_value} | {error} |",
            t.passes,
            if t.converged { "" } else { " (cap)" },
            t.seconds,
            1e3 * t.seconds / t.passes as f64,
            t.value,
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let engine = args.first().map_or("exact", String::as_str);
    let mut settings = Settings {
        d: 64,
        accuracy: 0.05,
        sizes: Vec::new(),
    };
    for arg in args.iter().skip(1) {
        match arg.split_once('=') {
            Some(("d", d)) => settings.d = d.parse().expect("d is an integer"),
            Some(("accuracy", a)) => settings.accuracy = a.parse().expect("accuracy is a number"),
            _ => settings
                .sizes
                .push(arg.parse().expect("sizes are integers")),
        }
    }
    match engine {
        "tree" => {
            if settings.sizes.is_empty() {
                settings.sizes = vec![1_000, 5_000, 20_000, 100_000];
            }
            tree(&settings)
        }
        _ => {
            if settings.sizes.is_empty() {
                settings.sizes = vec![1_000, 5_000, 20_000];
            }
            exact(&settings)
        }
    }
}
