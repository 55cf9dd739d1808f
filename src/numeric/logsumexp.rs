//! log Σ exp(z) over long sequences, one block at a time: each block is shifted by its own maximum,
//! which keeps the exponentials in range and lets the inner loop vectorise.

use super::exp::exp;

/// A running log-sum-exp: the sum is `scale · e^max`. Empty (or all −∞) is `−∞`.
#[derive(Debug, Clone, Copy)]
pub struct LogSumExp {
    max: f64,
    scale: f64,
}

impl Default for LogSumExp {
    fn default() -> Self {
        LogSumExp {
            max: f64::NEG_INFINITY,
            scale: 0.0,
        }
    }
}

impl LogSumExp {
    /// Adds every value of `block` (−∞ entries contribute nothing).
    pub fn add_block(&mut self, block: &[f64]) {
        let block_max = block.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if block_max == f64::NEG_INFINITY {
            return;
        }
        let block_scale: f64 = block.iter().map(|&z| exp(z - block_max)).sum();
        self.merge(LogSumExp {
            max: block_max,
            scale: block_scale,
        });
    }

    /// Adds one value.
    pub fn add(&mut self, z: f64) {
        if z != f64::NEG_INFINITY {
            self.merge(LogSumExp { max: z, scale: 1.0 });
        }
    }

    fn merge(&mut self, other: LogSumExp) {
        if other.max > self.max {
            self.scale = self.scale * exp(self.max - other.max) + other.scale;
            self.max = other.max;
        } else {
            self.scale += other.scale * exp(other.max - self.max);
        }
    }

    /// log of the sum so far.
    pub fn value(&self) -> f64 {
        if self.scale > 0.0 {
            self.max + self.scale.ln()
        } else {
            f64::NEG_INFINITY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_direct_sum_and_survives_extremes() {
        let z = [-1000.0, -999.0, f64::NEG_INFINITY, -1001.0];
        let mut acc = LogSumExp::default();
        acc.add_block(&z[..2]);
        acc.add_block(&z[2..]);
        let direct = -1000.0 + (1.0 + 1.0f64.exp() + (-1.0f64).exp()).ln();
        assert!((acc.value() - direct).abs() < 1e-12);

        let mut empty = LogSumExp::default();
        empty.add_block(&[f64::NEG_INFINITY]);
        assert_eq!(empty.value(), f64::NEG_INFINITY);
        empty.add(3.0);
        assert!((empty.value() - 3.0).abs() < 1e-15);
    }
}
