//! Dense Sinkhorn: time per iteration of each kernel mode against the memory-read bound, and time to a
//! tolerance. A plain harness (`harness = false`): `cargo bench --bench dense_sinkhorn` runs the table of
//! BENCHMARKS.md; `cargo bench --bench dense_sinkhorn -- online 50000` runs the online kernel alone at
//! n = m = 50,000 and reports its peak resident memory; `-- stored [n]` runs the table without the online
//! mode (at one size when given).
//!
//! Per-iteration times are the difference of a long and a short solve (110 and 10 iterations; 25 and 5
//! for the slower online mode), divided by the difference, so they exclude building the operator. Every
//! figure is the median of `REPEATS` runs (`ONLINE_REPEATS` for the online mode).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use scalot::{
    solve, Cost, DenseKernel, DenseMode, Kernel, Layout, PointCloud, SinkhornOptions, Weights,
};
use scalot_testkit::data::Rng;

const REPEATS: usize = 5;
const ONLINE_REPEATS: usize = 3;
const D: usize = 16;

/// Problem sizes of the table (n = m).
const SIZES: [usize; 3] = [1_000, 4_000, 10_000];

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("online") => {
            let n = args.get(1).map_or(50_000, |s| s.parse().expect("n"));
            online_memory(n);
        }
        Some("stored") => {
            let sizes: Vec<usize> = match args.get(1) {
                Some(n) => vec![n.parse().expect("n")],
                None => SIZES.to_vec(),
            };
            table(&sizes, &[DenseMode::StoredF32, DenseMode::StoredF64])
        }
        _ => table(
            &SIZES,
            &[
                DenseMode::StoredF32,
                DenseMode::StoredF64,
                DenseMode::Online,
            ],
        ),
    }
}

/// A standard Gaussian cloud with its mean shifted by `shift` in every coordinate.
fn cloud(n: usize, shift: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng(seed);
    (0..n * D).map(|_| rng.normal() + shift).collect()
}

fn mean_cost(x: &[f64], y: &[f64]) -> f64 {
    let (n, m) = (x.len() / D, y.len() / D);
    let total: f64 = (0..n)
        .into_par_iter()
        .map(|i| {
            let xi = &x[i * D..(i + 1) * D];
            y.chunks_exact(D)
                .map(|yj| {
                    xi.iter()
                        .zip(yj)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                })
                .sum::<f64>()
        })
        .sum();
    total / (n * m) as f64
}

fn kernel(x: &[f64], y: &[f64], epsilon: f64, mode: DenseMode) -> Arc<dyn Kernel> {
    let px = PointCloud::new("x", x, x.len() / D, D, Layout::RowMajor).unwrap();
    let py = PointCloud::new("y", y, y.len() / D, D, Layout::RowMajor).unwrap();
    Arc::new(DenseKernel::from_points(&px, &py, Cost::SqEuclidean, epsilon, mode).unwrap())
}

fn options(tolerance: f64, iterations: usize) -> SinkhornOptions {
    let mut o = SinkhornOptions::default();
    o.set_tolerance(tolerance)
        .unwrap()
        .set_max_iterations(iterations)
        .unwrap();
    o
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn seconds(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

/// Sums with 32 independent lanes, so the loop vectorises and memory, not the add latency, limits it.
fn lane_sum(values: &[f32]) -> f32 {
    let mut lanes = [0.0_f32; 32];
    for chunk in values.chunks_exact(32) {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    lanes.iter().sum()
}

/// Read bandwidth of the shared pool: a parallel sum over 1 GiB of f32, median of the repeats.
fn read_bandwidth() -> f64 {
    let data = vec![1.0_f32; 1 << 28];
    let bytes = (data.len() * 4) as f64;
    median(
        (0..REPEATS)
            .map(|_| {
                let t = seconds(|| {
                    black_box(data.par_chunks(1 << 16).map(lane_sum).sum::<f32>());
                });
                bytes / t
            })
            .collect(),
    )
}

fn table(sizes: &[usize], modes: &[DenseMode]) {
    let bandwidth = read_bandwidth();
    println!(
        "threads {}, read bandwidth {:.1} GB/s (vectorised parallel sum over 1 GiB of f32)",
        scalot::threads::num_threads(),
        bandwidth / 1e9
    );
    println!(
        "{:>6} {:>11} {:>12} {:>12} {:>8} {:>12} {:>11} {:>16}",
        "n", "mode", "ms/iter", "bound ms", "ratio", "iters→1e-6", "s→1e-6", "transport cost"
    );
    for &n in sizes {
        let (x, y) = (cloud(n, 0.0, 1), cloud(n, 1.0, 2));
        let epsilon = 0.05 * mean_cost(&x, &y);
        let a = Weights::new("a", None, n).unwrap();
        for &mode in modes {
            let k = kernel(&x, &y, epsilon, mode);
            let time = |iterations: usize| {
                seconds(|| {
                    black_box(solve(&k, &a, &a, &options(1e-300, iterations)).unwrap());
                })
            };
            let (repeats, short, long) = match mode {
                DenseMode::Online => (ONLINE_REPEATS, 5, 25),
                _ => (REPEATS, 10, 110),
            };
            let per_iteration = median(
                (0..repeats)
                    .map(|_| (time(long) - time(short)) / (long - short) as f64)
                    .collect(),
            );
            let bytes = match mode {
                DenseMode::StoredF32 => Some(4.0),
                DenseMode::StoredF64 => Some(8.0),
                DenseMode::Online => None,
            }
            .map(|b| b * (n * n) as f64);
            let mut converged = None;
            let to_tolerance = median(
                (0..repeats)
                    .map(|_| {
                        seconds(|| {
                            converged = Some(solve(&k, &a, &a, &options(1e-6, 10_000)).unwrap())
                        })
                    })
                    .collect(),
            );
            let plan = converged.unwrap();
            let (bound, ratio) = match bytes {
                Some(b) => (
                    format!("{:.2}", 1e3 * b / bandwidth),
                    format!("{:.2}", per_iteration * bandwidth / b),
                ),
                None => ("-".into(), "-".into()),
            };
            println!(
                "{n:>6} {:>11} {:>12.3} {bound:>12} {ratio:>8} {:>12} {to_tolerance:>11.3} {:>16.10}",
                format!("{mode:?}"),
                1e3 * per_iteration,
                plan.iterations(),
                plan.transport_cost().unwrap(),
            );
        }
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn online_memory(n: usize) {
    let (x, y) = (cloud(n, 0.0, 1), cloud(n, 1.0, 2));
    let input = peak_rss_kib();
    let epsilon = 0.05 * mean_cost(&x, &y);
    let k = kernel(&x, &y, epsilon, DenseMode::Online);
    let a = Weights::new("a", None, n).unwrap();
    let iterations = 3;
    let mut plan = None;
    let t = seconds(|| plan = Some(solve(&k, &a, &a, &options(1e-300, iterations)).unwrap()));
    let plan = plan.unwrap();
    println!(
        "online n = m = {n}, d = {D}, {} threads: {iterations} iterations in {t:.1} s ({:.2} s/iter), \
         marginal error {:.3e}; peak RSS {:.1} MiB (inputs alone {:.1} MiB; the n·m matrix would be {:.1} GiB in f64)",
        scalot::threads::num_threads(),
        t / iterations as f64,
        plan.marginal_error(),
        peak_rss_kib() as f64 / 1024.0,
        input as f64 / 1024.0,
        (n * n * 8) as f64 / (1u64 << 30) as f64,
    );
}
