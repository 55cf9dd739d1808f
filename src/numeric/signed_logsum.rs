//! Sums of signed terms `±e^z` kept as `e^max · (positive − negative)`, so that terms far below or above
//! f64's range still add exactly where they do not cancel. The Nyström and LCN kernels need this: their
//! entries are signed, and their products are taken in the log domain.

use super::exp::exp;

/// A running signed sum `Σ σ_k e^{z_k}`.
#[derive(Debug, Clone, Copy)]
pub struct SignedLogSum {
    max: f64,
    positive: f64,
    negative: f64,
}

impl Default for SignedLogSum {
    fn default() -> Self {
        SignedLogSum {
            max: f64::NEG_INFINITY,
            positive: 0.0,
            negative: 0.0,
        }
    }
}

/// A signed value `sign · e^log`; zero is `(−∞, 0.0)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignedLog {
    pub log: f64,
    /// +1.0, −1.0, or 0.0 for zero.
    pub sign: f64,
}

impl SignedLog {
    pub const ZERO: SignedLog = SignedLog {
        log: f64::NEG_INFINITY,
        sign: 0.0,
    };

    /// The signed log of a finite f64.
    pub fn of(value: f64) -> Self {
        if value == 0.0 {
            SignedLog::ZERO
        } else {
            SignedLog {
                log: value.abs().ln(),
                sign: value.signum(),
            }
        }
    }
}

impl SignedLogSum {
    /// Adds `sign · e^z`; zero signs and `z = −∞` add nothing.
    #[inline]
    pub fn add(&mut self, z: f64, sign: f64) {
        if sign == 0.0 || z == f64::NEG_INFINITY {
            return;
        }
        if z > self.max {
            let shrink = exp(self.max - z);
            self.positive *= shrink;
            self.negative *= shrink;
            self.max = z;
        }
        let term = exp(z - self.max);
        if sign > 0.0 {
            self.positive += term;
        } else {
            self.negative += term;
        }
    }

    /// The sum.
    pub fn value(&self) -> SignedLog {
        let scale = self.positive - self.negative;
        if scale == 0.0 {
            SignedLog::ZERO
        } else {
            SignedLog {
                log: self.max + scale.abs().ln(),
                sign: scale.signum(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_signed_terms_across_the_range() {
        let mut sum = SignedLogSum::default();
        sum.add(-800.0, 1.0);
        sum.add(-800.0 + 2f64.ln(), -1.0);
        sum.add(-801.0, 0.0);
        let value = sum.value();
        assert_eq!(value.sign, -1.0);
        assert!((value.log + 800.0).abs() < 1e-12);

        let mut sum = SignedLogSum::default();
        for z in [3.0, 1.0, 5.0, -5.0] {
            sum.add(z, 1.0);
        }
        sum.add(5.0, -1.0);
        let direct = 3f64.exp() + 1f64.exp() + (-5f64).exp();
        assert!((sum.value().log - direct.ln()).abs() < 1e-9);
        assert_eq!(SignedLogSum::default().value(), SignedLog::ZERO);
        assert_eq!(SignedLog::of(-2.0).sign, -1.0);
    }
}
