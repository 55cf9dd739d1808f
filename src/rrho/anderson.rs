//! Anderson acceleration (type II, Walker & Ni 2011) of the block-ascent map β ↦ β*(α*(β)).
//!
//! Block ascent contracts like Sinkhorn at small ε: by a rate close to 1 when the plan is nearly sparse
//! (ρ near 1, or points of x and y close together), since clusters of paired points then shift against
//! each other only through weak long-range terms. Mixing the last few updates with the least-squares
//! combination of their residuals removes those slow directions, as a Krylov method would.

/// Updates mixed at most.
const DEPTH: usize = 8;
/// Relative Tikhonov term of the least-squares problem, which keeps nearly parallel residuals stable.
const REGULARISATION: f64 = 1e-10;

#[derive(Debug, Default)]
pub struct Anderson {
    /// The last updates g_k = β*_k and their residuals f_k = β*_k − β_k, oldest first.
    updates: Vec<Vec<f64>>,
    residuals: Vec<Vec<f64>>,
}

impl Anderson {
    /// Forgets the history, so that the next step is a plain block-ascent step.
    pub fn reset(&mut self) {
        self.updates.clear();
        self.residuals.clear();
    }

    /// The next iterate from the current one `beta` and its block-ascent update `update`.
    pub fn next(&mut self, beta: &[f64], update: Vec<f64>) -> Vec<f64> {
        let residual: Vec<f64> = update.iter().zip(beta).map(|(u, b)| u - b).collect();
        self.updates.push(update);
        self.residuals.push(residual);
        if self.updates.len() > DEPTH + 1 {
            self.updates.remove(0);
            self.residuals.remove(0);
        }
        let k = self.residuals.len() - 1;
        if k == 0 {
            return self.updates[0].clone();
        }
        let difference = |v: &[Vec<f64>], i: usize| -> Vec<f64> {
            v[i + 1].iter().zip(&v[i]).map(|(a, b)| a - b).collect()
        };
        let df: Vec<Vec<f64>> = (0..k).map(|i| difference(&self.residuals, i)).collect();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
        let mut normal: Vec<Vec<f64>> = (0..k)
            .map(|i| (0..k).map(|j| dot(&df[i], &df[j])).collect())
            .collect();
        let trace: f64 = (0..k).map(|i| normal[i][i]).sum();
        (0..k).for_each(|i| normal[i][i] += REGULARISATION * trace.max(f64::MIN_POSITIVE));
        let rhs: Vec<f64> = df.iter().map(|d| dot(d, &self.residuals[k])).collect();
        let mut next = self.updates[k].clone();
        let Some(gamma) = solve_small(normal, rhs) else {
            // The mixing is singular or not finite: take the plain update, and restart the history.
            self.reset();
            return next;
        };
        for (i, g) in gamma.iter().enumerate() {
            let dg = difference(&self.updates, i);
            next.iter_mut().zip(&dg).for_each(|(n, d)| *n -= g * d);
        }
        next
    }
}

/// Solves a small dense system by Gaussian elimination with partial pivoting; None if singular.
fn solve_small(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col] == 0.0 || !a[pivot][col].is_finite() {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let factor = a[row][col] / pivot_row[col];
            a[row][col..]
                .iter_mut()
                .zip(&pivot_row[col..])
                .for_each(|(v, p)| *v -= factor * p);
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|c| a[row][c] * x[c]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mixing_that_cannot_be_solved_returns_the_plain_update() {
        let mut anderson = Anderson::default();
        let first = anderson.next(&[0.0, 0.0], vec![1.0, 2.0]);
        assert_eq!(first, [1.0, 2.0]);
        // Residual differences of f64::MAX make the normal equations overflow to infinity.
        let update = vec![f64::MAX, -f64::MAX];
        let next = anderson.next(&first, update.clone());
        assert_eq!(next, update);
        // The history restarted: the next step is plain too.
        assert_eq!(anderson.next(&next, vec![3.0, 4.0]), [3.0, 4.0]);
    }
}
