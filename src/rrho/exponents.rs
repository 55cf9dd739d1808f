//! The exponents of R_ρ's dual: s = ρ/(ρ−1), p = s − 1 = 1/(ρ−1), C_s = (1/s)(1 − 1/s)^{s−1}.

use crate::error::{Error, Result};

/// ρ and the constants of its dual. `p` is the power of (α_i − β_j)_+ in the marginals; when it is an
/// integer (ρ = 1 + 1/k, which includes 2, 1.5, 1.25 and 1.1) powers are products, several times
/// cheaper than `powf`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exponents {
    pub rho: f64,
    pub s: f64,
    pub p: f64,
    /// s·C_s: the factor of the implicit plan and of the marginal sums η and ξ.
    pub plan_factor: f64,
    /// C_s: the factor of the dual's penalty.
    pub penalty_factor: f64,
    integer_p: Option<i32>,
}

impl Exponents {
    /// Accepts ρ ∈ (1, 2]. ρ = 1 is the Earth Mover's distance, whose dual has no smooth penalty; above 2
    /// the paper's analysis (and its metric proof's constants) do not apply.
    pub fn new(rho: f64) -> Result<Self> {
        if !(rho > 1.0 && rho <= 2.0) {
            return Err(Error::invalid(
                "rho",
                format!(
                    "{rho} is outside (1, 2]: rho = 1 is the Earth Mover's distance (use an exact OT \
                     solver), and the relaxation is defined here for 1 < rho <= 2"
                ),
            ));
        }
        let s = rho / (rho - 1.0);
        let p = 1.0 / (rho - 1.0);
        let penalty_factor = (1.0 / s) * (1.0 - 1.0 / s).powf(s - 1.0);
        let rounded = p.round();
        let integer_p =
            ((p - rounded).abs() <= 1e-9 * p && rounded <= 64.0).then_some(rounded as i32);
        Ok(Exponents {
            rho,
            s,
            p: integer_p.map_or(p, f64::from),
            plan_factor: s * penalty_factor,
            penalty_factor,
            integer_p,
        })
    }

    /// p when it is a small integer, which the tree engine's moment sums need.
    pub fn integer_p(&self) -> Option<i32> {
        self.integer_p
    }

    /// q^{p−1} for q ≥ 0.
    #[inline]
    pub fn pow_p_minus_1(&self, q: f64) -> f64 {
        match self.integer_p {
            Some(p) => q.powi(p - 1),
            None => q.powf(self.p - 1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rho_two_is_the_quadratic_case() {
        let e = Exponents::new(2.0).unwrap();
        assert_eq!((e.s, e.p, e.integer_p()), (2.0, 1.0, Some(1)));
        assert!((e.penalty_factor - 0.25).abs() < 1e-15);
    }

    #[test]
    fn rho_outside_the_range_is_refused() {
        for rho in [1.0, 0.5, 2.5, f64::NAN, f64::INFINITY] {
            assert!(Exponents::new(rho).is_err(), "{rho}");
        }
        assert_eq!(Exponents::new(1.1).unwrap().integer_p(), Some(10));
        assert_eq!(Exponents::new(1.3).unwrap().integer_p(), None);
    }
}
