//! Synthetic bilingual word embeddings with a known translation, for the alignment benchmarks, demo and
//! tests (no real fastText/MUSE data can be fetched here).
//!
//! The source language is a mixture of Gaussians in a random basis whose per-direction variances fall as
//! a power law (λ_k ∝ k^−decay, like the spectra of trained embeddings), preprocessed as in the LCN
//! paper: unit-normalised, centred, normalised again. Its index is its frequency rank. The target language
//! holds a `shared` fraction of translations, each the source vector plus Gaussian noise, and otherwise
//! words of its own from the same mixture; all of it is then rotated by a random orthogonal Q, reordered
//! by a noisy frequency rank (rank · (1 + rank_noise · N(0, 1))) and preprocessed the same way. The ground
//! truth: x_i ≈ Q y_j for every listed pair (i, j).

use crate::data::Rng;

#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub n: usize,
    pub m: usize,
    pub d: usize,
    /// Mixture components.
    pub components: usize,
    /// λ_k ∝ (k + 1)^−decay.
    pub decay: f64,
    /// Within-component standard deviation relative to the spread of the centres.
    pub spread: f64,
    /// Standard deviation of the noise added to a translation, relative to the same scale.
    pub noise: f64,
    /// Fraction of the target words that translate a source word (at most n / m).
    pub shared: f64,
    /// Relative noise of the target's frequency ranks; 0 keeps the source order of the translations.
    pub rank_noise: f64,
    pub seed: u64,
}

impl Spec {
    /// The benchmark's language pair: d = 300, 50 components, λ_k ∝ k^−1, noise 0.3 of the component
    /// spread, 80% shared vocabulary, frequency ranks perturbed by 30%.
    pub fn bilingual(n: usize, seed: u64) -> Self {
        Spec {
            n,
            m: n,
            d: 300,
            components: 50,
            decay: 1.0,
            spread: 0.5,
            noise: 0.15,
            shared: 0.8,
            rank_noise: 0.3,
            seed,
        }
    }

    /// A noiseless, fully shared, randomly permuted and rotated copy.
    pub fn rotated_copy(n: usize, d: usize, seed: u64) -> Self {
        Spec {
            n,
            m: n,
            d,
            components: 10,
            decay: 0.5,
            spread: 0.5,
            noise: 0.0,
            shared: 1.0,
            rank_noise: f64::INFINITY,
            seed,
        }
    }
}

pub struct Bilingual {
    /// n×d and m×d, row-major.
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Q, d×d row-major, with x_i ≈ Q y_j.
    pub rotation: Vec<f64>,
    /// (source, target) translations.
    pub pairs: Vec<(usize, usize)>,
}

/// A Haar-distributed orthogonal d×d matrix (Gram–Schmidt on Gaussian rows), row-major.
pub fn random_orthogonal(rng: &mut Rng, d: usize) -> Vec<f64> {
    let mut q: Vec<f64> = (0..d * d).map(|_| rng.normal()).collect();
    for i in 0..d {
        for _ in 0..2 {
            for k in 0..i {
                let (done, rest) = q.split_at_mut(i * d);
                let dot: f64 = (0..d).map(|l| rest[l] * done[k * d + l]).sum();
                (0..d).for_each(|l| rest[l] -= dot * done[k * d + l]);
            }
        }
        let row = &mut q[i * d..(i + 1) * d];
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        row.iter_mut().for_each(|v| *v /= norm);
    }
    q
}

/// Unit-normalise, centre, normalise again, as the LCN paper preprocesses fastText vectors.
fn preprocess(points: &mut [f64], d: usize) {
    let normalise = |points: &mut [f64]| {
        for row in points.chunks_exact_mut(d) {
            let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            row.iter_mut().for_each(|v| *v /= norm);
        }
    };
    normalise(points);
    let count = (points.len() / d) as f64;
    let mut mean = vec![0.0; d];
    for row in points.chunks_exact(d) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v / count);
    }
    for row in points.chunks_exact_mut(d) {
        row.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m);
    }
    normalise(points);
}

/// `x ↦ M x` for a row-major d×d M.
fn times(m: &[f64], x: &[f64]) -> Vec<f64> {
    m.chunks_exact(x.len())
        .map(|row| row.iter().zip(x).map(|(a, b)| a * b).sum())
        .collect()
}

/// `x ↦ Mᵀ x` for a row-major d×d M.
fn times_transpose(m: &[f64], x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for (row, &xk) in m.chunks_exact(x.len()).zip(x) {
        out.iter_mut().zip(row).for_each(|(o, a)| *o += a * xk);
    }
    out
}

pub fn generate(spec: &Spec) -> Bilingual {
    let Spec { n, m, d, .. } = *spec;
    let mut rng = Rng(spec.seed);
    let basis = random_orthogonal(&mut rng, d);
    let scales: Vec<f64> = (0..d)
        .map(|k| ((k + 1) as f64).powf(-0.5 * spec.decay))
        .collect();
    let gaussian = |rng: &mut Rng, size: f64| -> Vec<f64> {
        let z: Vec<f64> = scales.iter().map(|s| size * s * rng.normal()).collect();
        times(&basis, &z)
    };
    let centres: Vec<Vec<f64>> = (0..spec.components)
        .map(|_| gaussian(&mut rng, 1.0))
        .collect();
    let word = |rng: &mut Rng| -> Vec<f64> {
        let c = &centres[(rng.uniform() * spec.components as f64) as usize % spec.components];
        let offset = gaussian(rng, spec.spread);
        c.iter().zip(offset).map(|(c, o)| c + o).collect()
    };

    let mut x: Vec<f64> = (0..n).flat_map(|_| word(&mut rng)).collect();
    preprocess(&mut x, d);

    let shared = ((spec.shared * m as f64).round() as usize).min(n);
    // The shared words: a random subset of the source vocabulary, kept in rank order.
    let mut chosen: Vec<usize> = (0..n).collect();
    for i in 0..shared {
        let j = i + (rng.uniform() * (n - i) as f64) as usize % (n - i);
        chosen.swap(i, j);
    }
    let mut translated: Vec<usize> = chosen[..shared].to_vec();
    translated.sort_unstable();

    let q = random_orthogonal(&mut rng, d);
    // Target words with their noisy rank and, for translations, their source.
    let mut target: Vec<(f64, Option<usize>, Vec<f64>)> = Vec::with_capacity(m);
    for (rank, &i) in translated.iter().enumerate() {
        let noise = gaussian(&mut rng, spec.noise);
        let v: Vec<f64> = x[i * d..(i + 1) * d]
            .iter()
            .zip(noise)
            .map(|(a, b)| a + b)
            .collect();
        target.push((rank as f64, Some(i), times_transpose(&q, &v)));
    }
    for k in shared..m {
        let v = word(&mut rng);
        target.push((
            k as f64 * n as f64 / m as f64,
            None,
            times_transpose(&q, &v),
        ));
    }
    for entry in &mut target {
        entry.0 = if spec.rank_noise.is_finite() {
            entry.0 * (1.0 + spec.rank_noise * rng.normal())
        } else {
            rng.uniform()
        };
    }
    target.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut y: Vec<f64> = target.iter().flat_map(|t| t.2.iter().copied()).collect();
    preprocess(&mut y, d);
    let pairs = target
        .iter()
        .enumerate()
        .filter_map(|(j, t)| t.1.map(|i| (i, j)))
        .collect();
    Bilingual {
        x,
        y,
        rotation: q,
        pairs,
    }
}
