//! LSH banding: a signature of `bands × rows` slots is cut into `bands` bands; two rows
//! become a candidate pair when any band agrees in all its slots, which happens with
//! probability `1 - (1 - s^rows)^bands` for Jaccard similarity `s`.

use crate::error::{Error, Result};
use crate::limits::product;

use super::hash::fmix64;
use super::minhash::MAX_PERM;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LshParams {
    pub bands: usize,
    pub rows: usize,
}

impl LshParams {
    pub fn new(bands: usize, rows: usize, num_perm: usize) -> Result<Self> {
        if bands == 0 || rows == 0 {
            return Err(Error::Argument {
                name: if bands == 0 { "bands" } else { "rows" },
                message: format!("bands and rows must be positive (got {bands} × {rows})"),
            });
        }
        // The error names `rows` when it alone is too large, else `bands`.
        let culprit = if rows > num_perm { "rows" } else { "bands" };
        // Checked: `bands = rows = 2^32` would wrap to 0 and pass, then size the band keys
        // at 2^32 per row.
        let slots = product(culprit, bands, rows, "bands × rows")?;
        if slots > num_perm {
            return Err(Error::Argument {
                name: culprit,
                message: format!(
                    "bands × rows = {bands} × {rows} = {slots} exceeds num_perm = {num_perm}; \
                     lower one of them or raise num_perm"
                ),
            });
        }
        Ok(LshParams { bands, rows })
    }

    /// Probability that a pair with Jaccard similarity `s` becomes a candidate.
    pub fn candidate_probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }
}

/// Checks a similarity threshold: it must lie in (0, 1].
pub fn check_threshold(threshold: f64) -> Result<()> {
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(Error::Argument {
            name: "threshold",
            message: format!("must be in (0, 1], got {threshold}"),
        });
    }
    Ok(())
}

/// Simpson's rule on [a, b] with `n` (even) intervals.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

/// The bands × rows (with bands·rows ≤ num_perm) that minimise
/// `(1 - w)·P(false positive) + w·P(false negative)` around `threshold`, where the
/// probabilities are the areas under the candidate curve below the threshold and above it
/// (datasketch's `_optimal_param`, with the false-negative weight `w` as a parameter).
/// Dedup verifies every candidate, so false positives cost only time: xlrm uses w = 0.95.
pub fn optimal_params(
    threshold: f64,
    num_perm: usize,
    false_negative_weight: f64,
) -> Result<LshParams> {
    check_threshold(threshold)?;
    // The search below tries every bands × rows ≤ num_perm (O(num_perm · log num_perm)
    // integrals): unbounded, `num_perm = 10^12` would run for days.
    if num_perm == 0 || num_perm > MAX_PERM {
        return Err(Error::Argument {
            name: "num_perm",
            message: format!("must be between 1 and {MAX_PERM}, got {num_perm}"),
        });
    }
    if !(0.0..=1.0).contains(&false_negative_weight) {
        return Err(Error::Argument {
            name: "false_negative_weight",
            message: format!("must be in [0, 1], got {false_negative_weight}"),
        });
    }
    let mut best = (f64::INFINITY, LshParams { bands: 1, rows: 1 });
    for bands in 1..=num_perm {
        for rows in 1..=num_perm / bands {
            let p = LshParams { bands, rows };
            let fp = integrate(|s| p.candidate_probability(s), 0.0, threshold, 64);
            let fneg = integrate(|s| 1.0 - p.candidate_probability(s), threshold, 1.0, 64);
            let err = (1.0 - false_negative_weight) * fp + false_negative_weight * fneg;
            if err < best.0 - 1e-12 {
                best = (err, p);
            }
        }
    }
    Ok(best.1)
}

/// The key of band `band` of a signature: a hash of its `rows` slots.
#[inline]
pub fn band_key(sig: &[u32], band: usize, p: LshParams) -> u64 {
    let mut h = fmix64(band as u64 ^ 0x6a09_e667_f3bc_c909);
    for pair in sig[band * p.rows..(band + 1) * p.rows].chunks(2) {
        let w = pair[0] as u64 | (pair.get(1).copied().unwrap_or(0) as u64) << 32;
        h = fmix64(h ^ w).wrapping_add(w);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_datasketch_choices() {
        // datasketch 2.0 `_optimal_param(0.8, 128, 0.5, 0.5)` = (9, 13)
        assert_eq!(
            optimal_params(0.8, 128, 0.5).unwrap(),
            LshParams { bands: 9, rows: 13 }
        );
        assert_eq!(
            optimal_params(0.8, 128, 0.95).unwrap(),
            LshParams { bands: 16, rows: 8 }
        );
    }

    #[test]
    fn rejects_bad_params() {
        assert!(LshParams::new(17, 8, 128).is_err());
        assert!(LshParams::new(0, 8, 128).is_err());
        // products that wrap around in unchecked arithmetic
        for (b, r) in [
            (1usize << 32, 1usize << 32),
            (usize::MAX, 2),
            (2, usize::MAX),
        ] {
            let e = LshParams::new(b, r, 128).unwrap_err();
            assert!(e.to_string().contains("overflows"), "{e}");
        }
        assert!(LshParams::new(1, 1 << 40, 128).is_err());
        for n in [0, MAX_PERM + 1, 1_000_000_000_000, usize::MAX] {
            let e = optimal_params(0.8, n, 0.5).unwrap_err();
            assert!(e.to_string().contains("num_perm"), "{e}");
        }
        assert!(optimal_params(0.8, MAX_PERM, 0.95).is_ok());
        assert!(check_threshold(0.0).is_err());
        assert!(check_threshold(1.5).is_err());
        assert!(check_threshold(f64::NAN).is_err());
        assert!(check_threshold(1.0).is_ok());
    }
}
