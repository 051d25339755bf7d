//! Rank balancing: ordering packed bins so that, when a data loader hands
//! consecutive batches of `per_rank` bins to ranks `0..ranks` in turn (what
//! `accelerate` does), every rank gets nearly the same number of tokens in
//! every optimizer step.
//!
//! Bins are sorted by tokens (descending), cut into steps of
//! `ranks × per_rank` similar bins, and inside a step each bin goes to the
//! rank with the fewest tokens so far that still has a free slot (longest
//! processing time first). Steps are then put in a seeded random order. The
//! result depends only on the loads, the shape and the seed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::error::{Error, Result};
use crate::limits::{in_range, product};

/// Most ranks [`balance`] takes: more data-parallel processes than any training run uses, and
/// small enough that the per-rank state (a few `u64`s each) stays in megabytes.
pub const MAX_RANKS: usize = 1 << 20;

/// Most bins one rank may take per step (the per-device batch size), for the same reason.
pub const MAX_PER_RANK: usize = 1 << 20;

/// Checks `ranks` and `per_rank` (also used by the packer before it does any work).
pub fn check_shape(ranks: usize, per_rank: usize) -> Result<()> {
    in_range(
        "ranks",
        ranks,
        1,
        MAX_RANKS,
        "ranks",
        "pass the number of data-parallel processes (accelerate's num_processes)",
    )?;
    in_range(
        "per_rank",
        per_rank,
        1,
        MAX_PER_RANK,
        "rows per rank",
        "pass the per-device batch size in packed rows",
    )?;
    Ok(())
}

/// A bin order and how even it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Balance {
    /// Bins in training order: step 0's `ranks × per_rank` bins (rank 0's
    /// `per_rank` bins first), then step 1's, …
    pub order: Vec<u32>,
    /// Rank that will train each bin (indexed by bin id).
    pub rank_of: Vec<u32>,
    /// Optimizer step (position in `order` / group size) of each bin.
    pub step_of: Vec<u32>,
    pub n_steps: usize,
    /// Tokens per rank over the whole epoch.
    pub rank_tokens: Vec<u64>,
    /// max/min of `rank_tokens`.
    pub total_ratio: f64,
    /// Largest and mean per-step max/min token ratio over full steps (1.0 when there are none).
    pub worst_step_ratio: f64,
    pub mean_step_ratio: f64,
}

/// SplitMix64: a tiny, well-mixed generator so the shuffle is the same everywhere.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by rejection so there is no modulo bias.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// A seeded Fisher–Yates permutation of `0..n`.
pub fn permutation(n: usize, seed: u64) -> Vec<u32> {
    let mut p: Vec<u32> = (0..n as u32).collect();
    let mut rng = SplitMix(seed);
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        p.swap(i, j);
    }
    p
}

fn ratio(max: u64, min: u64) -> f64 {
    if min == 0 {
        if max == 0 {
            1.0
        } else {
            f64::INFINITY
        }
    } else {
        max as f64 / min as f64
    }
}

/// Orders bins with the given token `loads` for `ranks` ranks taking
/// `per_rank` bins each per step; `seed` shuffles the order of the steps
/// (`None` keeps them longest first).
pub fn balance(loads: &[u64], ranks: usize, per_rank: usize, seed: Option<u64>) -> Result<Balance> {
    check_shape(ranks, per_rank)?;
    let n = loads.len();
    if n >= u32::MAX as usize {
        return Err(Error::Argument {
            name: "loads",
            message: format!(
                "{n} bins is more than balancing supports (2^32 - 1); pack fewer rows at once"
            ),
        });
    }
    // Every partial sum below is at most the total, so one check keeps them all from wrapping.
    if loads
        .iter()
        .try_fold(0u64, |a, &l| a.checked_add(l))
        .is_none()
    {
        return Err(Error::Argument {
            name: "loads",
            message: "the loads add up to more than 2^64 - 1 tokens; pass token counts per bin"
                .into(),
        });
    }
    let group = product("per_rank", ranks, per_rank, "ranks × per_rank")?;
    let mut sorted: Vec<u32> = (0..n as u32).collect();
    sorted.sort_by(|&a, &b| loads[b as usize].cmp(&loads[a as usize]).then(a.cmp(&b)));

    let n_steps = n.div_ceil(group);
    let mut steps: Vec<Vec<u32>> = Vec::with_capacity(n_steps);
    let mut step_ratios = Vec::new();
    for chunk in sorted.chunks(group) {
        if chunk.len() < group {
            // The last, short step: the loader hands out consecutive slices.
            steps.push(chunk.to_vec());
            continue;
        }
        let mut per: Vec<Vec<u32>> = vec![Vec::with_capacity(per_rank); ranks];
        let mut tok = vec![0u64; ranks];
        // Ranks with a free slot, fewest tokens first (ties: lower rank): a heap instead of a
        // scan over all ranks per bin, which at many ranks is quadratic.
        let mut open: BinaryHeap<Reverse<(u64, usize)>> =
            (0..ranks).map(|r| Reverse((0, r))).collect();
        for &b in chunk {
            let Reverse((t, r)) = open
                .pop()
                .expect("a full step has a free slot for each of its bins");
            per[r].push(b);
            tok[r] = t + loads[b as usize];
            if per[r].len() < per_rank {
                open.push(Reverse((tok[r], r)));
            }
        }
        step_ratios.push(ratio(
            *tok.iter().max().unwrap(),
            *tok.iter().min().unwrap(),
        ));
        steps.push(per.concat());
    }
    // Only full steps are shuffled: the short one stays last, or every step
    // after it would be cut at the wrong place by the loader.
    let n_full = step_ratios.len();
    let mut step_order: Vec<u32> = match seed {
        Some(s) => permutation(n_full, s),
        None => (0..n_full as u32).collect(),
    };
    step_order.extend(n_full as u32..steps.len() as u32);
    let mut order = Vec::with_capacity(n);
    let mut rank_of = vec![0u32; n];
    let mut step_of = vec![0u32; n];
    let mut rank_tokens = vec![0u64; ranks];
    for (k, &s) in step_order.iter().enumerate() {
        for (j, &b) in steps[s as usize].iter().enumerate() {
            let r = (j / per_rank) % ranks;
            rank_of[b as usize] = r as u32;
            step_of[b as usize] = k as u32;
            rank_tokens[r] += loads[b as usize];
            order.push(b);
        }
    }
    let worst = step_ratios.iter().copied().fold(1.0, f64::max);
    let mean = if step_ratios.is_empty() {
        1.0
    } else {
        step_ratios.iter().sum::<f64>() / step_ratios.len() as f64
    };
    Ok(Balance {
        order,
        rank_of,
        step_of,
        n_steps,
        total_ratio: ratio(
            *rank_tokens.iter().max().unwrap(),
            *rank_tokens.iter().min().unwrap(),
        ),
        rank_tokens,
        worst_step_ratio: worst,
        mean_step_ratio: mean,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pairs_big_with_small() {
        let loads = [100, 90, 60, 50];
        let b = balance(&loads, 2, 2, None).unwrap();
        // 100 → r0, 90 → r1, 60 → r1 (90 < 100), 50 → r0
        assert_eq!(b.order, vec![0, 3, 1, 2]);
        assert_eq!(b.rank_tokens, vec![150, 150]);
        assert_eq!(b.total_ratio, 1.0);
        assert_eq!(b.n_steps, 1);
    }

    #[test]
    fn bad_shapes() {
        assert!(balance(&[1], 0, 1, None).is_err());
        assert!(balance(&[1], 1, 0, None).is_err());
        for (ranks, per, name) in [
            (1_000_000_000_000usize, 1, "ranks"),
            (MAX_RANKS + 1, 1, "ranks"),
            (usize::MAX, usize::MAX, "ranks"),
            (2, 1 << 40, "per_rank"),
        ] {
            match balance(&[1, 2], ranks, per, None).unwrap_err() {
                Error::Argument { name: n, message } => {
                    assert_eq!(n, name);
                    assert!(message.contains("supported range"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
        // The largest shape allowed works without allocating per rank and step.
        let b = balance(&[5, 3], MAX_RANKS, MAX_PER_RANK, Some(1)).unwrap();
        assert_eq!(b.rank_tokens.len(), MAX_RANKS);
        assert_eq!(b.order, vec![0, 1]);
        let e = balance(&[u64::MAX, 1], 2, 1, None).unwrap_err();
        assert!(e.to_string().contains("add up to more than"), "{e}");
        let b = balance(&[], 4, 2, Some(1)).unwrap();
        assert!(b.order.is_empty());
        assert_eq!(b.total_ratio, 1.0);
    }

    #[test]
    fn permutation_is_seeded() {
        assert_eq!(permutation(50, 7), permutation(50, 7));
        assert_ne!(permutation(50, 7), permutation(50, 8));
        let mut p = permutation(50, 7);
        p.sort_unstable();
        assert_eq!(p, (0..50).collect::<Vec<u32>>());
    }

    /// The rank each bin of one full step goes to, by the plain rule: the rank with the fewest
    /// tokens so far that still has a free slot (ties: lower rank).
    fn reference_step(loads: &[u64], ranks: usize, per: usize) -> Vec<Vec<u32>> {
        let mut sorted: Vec<u32> = (0..loads.len() as u32).collect();
        sorted.sort_by(|&a, &b| loads[b as usize].cmp(&loads[a as usize]).then(a.cmp(&b)));
        let mut out = vec![Vec::new(); ranks];
        let mut tok = vec![0u64; ranks];
        for &b in &sorted {
            let r = (0..ranks)
                .filter(|&r| out[r].len() < per)
                .min_by_key(|&r| (tok[r], r))
                .unwrap();
            out[r].push(b);
            tok[r] += loads[b as usize];
        }
        out
    }

    proptest! {
        #[test]
        fn heap_choice_matches_the_plain_rule(ranks in 1usize..6, per in 1usize..4, seed in any::<u64>()) {
            let loads: Vec<u64> = permutation(ranks * per, seed).iter().map(|&x| (x as u64 * 37) % 11).collect();
            let b = balance(&loads, ranks, per, None).unwrap();
            prop_assert_eq!(b.order, reference_step(&loads, ranks, per).concat());
        }

        #[test]
        fn order_is_a_permutation(loads in proptest::collection::vec(1u64..4096, 0..200), ranks in 1usize..5, per in 1usize..4, seed in any::<u64>()) {
            let b = balance(&loads, ranks, per, Some(seed)).unwrap();
            let mut o = b.order.clone();
            o.sort_unstable();
            prop_assert_eq!(o, (0..loads.len() as u32).collect::<Vec<u32>>());
            prop_assert_eq!(b.rank_tokens.iter().sum::<u64>(), loads.iter().sum::<u64>());
            // the loader's view: position p goes to rank (p / per) % ranks
            for (p, &bin) in b.order.iter().enumerate() {
                prop_assert_eq!(b.rank_of[bin as usize] as usize, (p / per) % ranks);
            }
            prop_assert_eq!(balance(&loads, ranks, per, Some(seed)).unwrap(), b);
        }
    }
}
