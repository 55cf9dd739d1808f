//! Points from a seeded generator: uniform clouds, Gaussian mixtures and the approximation study's
//! problems.

/// SplitMix64 with Box–Muller normals.
pub struct Rng(pub u64);

impl Rng {
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (((z ^ (z >> 31)) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

/// n points uniform in the unit cube [0, 1]^d, row-major.
pub fn uniform(rng: &mut Rng, n: usize, d: usize) -> Vec<f64> {
    (0..n * d).map(|_| rng.uniform()).collect()
}

/// n points of a mixture of `centres.len() / d` isotropic Gaussians of standard deviation `spread`.
pub fn mixture(rng: &mut Rng, n: usize, centres: &[f64], d: usize, spread: f64) -> Vec<f64> {
    let components = centres.len() / d;
    let mut points = Vec::with_capacity(n * d);
    for _ in 0..n {
        let c = (rng.uniform() * components as f64) as usize % components;
        points.extend((0..d).map(|k| centres[c * d + k] + spread * rng.normal()));
    }
    points
}

/// `components` centres in the unit cube, for clustered data of the same scale as `uniform`.
pub fn centres(rng: &mut Rng, components: usize, d: usize) -> Vec<f64> {
    uniform(rng, components, d)
}

/// The mean squared Euclidean cost over a deterministic sample of pairs.
pub fn mean_cost(x: &[f64], y: &[f64], d: usize) -> f64 {
    let (n, m) = (x.len() / d, y.len() / d);
    let sample = 20_000;
    (0..sample)
        .map(|s| {
            let (i, j) = ((s * 7919) % n, (s * 104_729) % m);
            (0..d)
                .map(|k| (x[i * d + k] - y[j * d + k]).powi(2))
                .sum::<f64>()
        })
        .sum::<f64>()
        / sample as f64
}

/// The approximation study's problem (`benches/approximation.rs`, BENCHMARKS.md): n points a side,
/// uniform in [0, 1]^d or from a mixture of 10 tight Gaussians (spread 0.1/√d) around uniform centres,
/// seeded by d; and ε = `relative_epsilon` × the mean cost. Returns (x, y, ε).
pub fn approximation_problem(
    n: usize,
    d: usize,
    clustered: bool,
    relative_epsilon: f64,
) -> (Vec<f64>, Vec<f64>, f64) {
    let mut rng = Rng(1000 + d as u64);
    let (x, y) = if clustered {
        let centres = centres(&mut rng, 10, d);
        let spread = 0.1 / (d as f64).sqrt();
        (
            mixture(&mut rng, n, &centres, d, spread),
            mixture(&mut rng, n, &centres, d, spread),
        )
    } else {
        (uniform(&mut rng, n, d), uniform(&mut rng, n, d))
    };
    let epsilon = relative_epsilon * mean_cost(&x, &y, d);
    (x, y, epsilon)
}
