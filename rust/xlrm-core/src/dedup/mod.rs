//! Preference-pair dedup and decontamination.
//!
//! Three passes, each on the rows the previous one kept, each row removed for one reason:
//!
//! 1. **contamination**: the row's prompt (field 0) is an exact or near duplicate of an
//!    evaluation prompt;
//! 2. **exact**: the row's normalised text (all fields) has the same xxh3-128 key as an
//!    earlier row ([`hash::exact_key`]);
//! 3. **near**: MinHash-LSH over script-aware shingles finds rows whose estimated Jaccard
//!    similarity reaches the threshold; union-find joins them into clusters ([`near`]).
//!
//! Within a group or cluster one row is kept by [`Keep`]: the first, the longest, or the
//! one with the highest priority (e.g. the preference margin); ties keep the earlier row.
//! Every step is either row-parallel with results in row order or sequential, so the
//! output is the same for any number of threads.

pub mod hash;
pub mod lsh;
pub mod minhash;
pub mod near;
pub mod rows;
pub mod shingle;
pub mod unionfind;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::normalize::NormalizeOptions;

use hash::{exact_key, PrehashedMap, PrehashedState};
use lsh::{band_key, check_threshold, optimal_params, LshParams};
use minhash::{matches, MinHasher};
use near::{min_matches, near_duplicates, signature_buffer, SigSource};
pub use rows::{Chunk, Field, Messages, Rows};
use shingle::{row_shingles, ShingleOptions};

/// Row status codes in [`Outcome::kind`].
pub const KEPT: u8 = 0;
pub const EXACT: u8 = 1;
pub const NEAR: u8 = 2;
pub const CONTAMINATION: u8 = 3;

/// The false-negative weight xlrm uses when it picks bands × rows itself.
pub const DEFAULT_FALSE_NEGATIVE_WEIGHT: f64 = 0.95;

/// Which row of a duplicate group survives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// The earliest row.
    First,
    /// The row with the most text (UTF-8 bytes before normalisation).
    Longest,
    /// The row with the highest `priority` value (NaN counts as lowest).
    Highest,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DedupOptions {
    pub norm: NormalizeOptions,
    pub shingle: ShingleOptions,
    pub exact: bool,
    pub near: bool,
    pub threshold: f64,
    pub num_perm: usize,
    /// `None`: chosen by [`optimal_params`] with [`DEFAULT_FALSE_NEGATIVE_WEIGHT`].
    pub lsh: Option<LshParams>,
    pub seed: u64,
    pub keep: Keep,
}

impl Default for DedupOptions {
    fn default() -> Self {
        DedupOptions {
            norm: NormalizeOptions::default(),
            shingle: ShingleOptions::default(),
            exact: true,
            near: true,
            threshold: 0.8,
            num_perm: 128,
            lsh: None,
            seed: 1,
            keep: Keep::First,
        }
    }
}

impl DedupOptions {
    /// Checks every option; returns the LSH parameters to use.
    pub fn validate(&self) -> Result<LshParams> {
        check_threshold(self.threshold)?;
        self.shingle.validate()?;
        MinHasher::new(self.num_perm, self.seed)?;
        match self.lsh {
            Some(p) => LshParams::new(p.bands, p.rows, self.num_perm),
            None => optimal_params(self.threshold, self.num_perm, DEFAULT_FALSE_NEGATIVE_WEIGHT),
        }
    }
}

/// Evaluation prompts (one field) and, per row, the index of the eval set it belongs to.
pub struct EvalPrompts<'a> {
    pub prompts: Rows<'a>,
    pub set_index: &'a [u32],
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub bands: usize,
    pub rows: usize,
    pub candidate_pairs: usize,
    pub verified_pairs: usize,
}

/// Per-row result, all vectors of length n.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// [`KEPT`], [`EXACT`], [`NEAR`] or [`CONTAMINATION`].
    pub kind: Vec<u8>,
    /// The kept row this row duplicates (always a kept row), the eval row for
    /// contamination, or -1 for kept rows.
    pub reference: Vec<i64>,
    /// Estimated Jaccard similarity with `reference` (1 for exact matches, NaN for kept rows).
    pub similarity: Vec<f32>,
    /// Eval set index for contamination, else -1.
    pub eval_set: Vec<i32>,
    pub stats: Stats,
}

/// Rows of a [`Rows`] picked by index, shingled from text.
struct TextSource<'a, 'r> {
    rows: &'r Rows<'a>,
    ids: &'r [u32],
    opts: ShingleOptions,
}

impl SigSource for TextSource<'_, '_> {
    fn len(&self) -> usize {
        self.ids.len()
    }
    fn sketch(&self, i: usize, m: &MinHasher, sig: &mut [u32]) -> bool {
        m.clear(sig);
        row_shingles(self.rows, self.ids[i] as usize, &self.opts, |h| {
            m.push(sig, h)
        });
        m.densify(sig)
    }
}

/// Exact keys of every row, in parallel.
pub fn exact_keys(rows: &Rows<'_>, norm: NormalizeOptions) -> Vec<u128> {
    (0..rows.len())
        .into_par_iter()
        .map_init(
            || Vec::with_capacity(4096),
            |buf, i| exact_key(rows, i, norm, buf),
        )
        .collect()
}

/// MinHash signatures of every row (row-major `n × num_perm`) and whether each row had any
/// shingle (rows without one are all [`minhash::EMPTY`]).
pub fn signatures(
    rows: &Rows<'_>,
    opts: ShingleOptions,
    num_perm: usize,
    seed: u64,
) -> Result<(Vec<u32>, Vec<bool>)> {
    opts.validate()?;
    let m = MinHasher::new(num_perm, seed)?;
    let ids: Vec<u32> = (0..rows.len() as u32).collect();
    let src = TextSource {
        rows,
        ids: &ids,
        opts,
    };
    let mut sigs = signature_buffer(rows.len(), num_perm)?;
    let mut nonempty = vec![false; rows.len()];
    sigs.par_chunks_mut(num_perm)
        .zip(nonempty.par_iter_mut())
        .enumerate()
        .for_each(|(i, (sig, ne))| {
            *ne = src.sketch(i, &m, sig);
        });
    Ok((sigs, nonempty))
}

/// Every row's distinct shingle hashes, flattened with `n + 1` offsets.
pub fn shingle_hashes(rows: &Rows<'_>, opts: ShingleOptions) -> Result<(Vec<u64>, Vec<i64>)> {
    opts.validate()?;
    let per_row: Vec<Vec<u64>> = (0..rows.len())
        .into_par_iter()
        .map(|i| {
            let mut v = Vec::new();
            row_shingles(rows, i, &opts, |h| v.push(h));
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let mut offsets = Vec::with_capacity(per_row.len() + 1);
    offsets.push(0i64);
    let mut flat = Vec::with_capacity(per_row.iter().map(Vec::len).sum());
    for v in per_row {
        flat.extend_from_slice(&v);
        offsets.push(flat.len() as i64);
    }
    Ok((flat, offsets))
}

/// Best eval match of every row's prompt: `(eval row, similarity)`.
fn decontaminate(
    prompts: &Rows<'_>,
    eval: &EvalPrompts<'_>,
    opts: &DedupOptions,
    m: &MinHasher,
    p: LshParams,
) -> Result<Vec<Option<(u32, f32)>>> {
    let k = m.num_perm();
    let eval_keys = exact_keys(&eval.prompts, opts.norm);
    let mut exact: PrehashedMap<u128, u32> =
        PrehashedMap::with_capacity_and_hasher(eval_keys.len(), PrehashedState);
    for (i, key) in eval_keys.iter().enumerate() {
        exact.entry(*key).or_insert(i as u32);
    }
    // Eval signatures are kept whole (eval sets are small) with one sorted key list per band.
    let (eval_sigs, bands) = if opts.near {
        let ids: Vec<u32> = (0..eval.prompts.len() as u32).collect();
        let src = TextSource {
            rows: &eval.prompts,
            ids: &ids,
            opts: opts.shingle,
        };
        let mut sigs = signature_buffer(ids.len(), k)?;
        let nonempty: Vec<bool> = sigs
            .par_chunks_mut(k)
            .enumerate()
            .map(|(i, sig)| src.sketch(i, m, sig))
            .collect();
        let bands: Vec<Vec<(u64, u32)>> = (0..p.bands)
            .into_par_iter()
            .map(|b| {
                let mut v: Vec<(u64, u32)> = (0..ids.len())
                    .filter(|&i| nonempty[i])
                    .map(|i| (band_key(&sigs[i * k..(i + 1) * k], b, p), i as u32))
                    .collect();
                v.sort_unstable();
                v
            })
            .collect();
        (sigs, bands)
    } else {
        (Vec::new(), Vec::new())
    };
    let need = min_matches(opts.threshold, k);
    let ids: Vec<u32> = (0..prompts.len() as u32).collect();
    let src = TextSource {
        rows: prompts,
        ids: &ids,
        opts: opts.shingle,
    };
    Ok((0..prompts.len())
        .into_par_iter()
        .map_init(
            || (Vec::with_capacity(4096), vec![0u32; k], Vec::new()),
            |(buf, sig, cands), i| {
                if let Some(&e) = exact.get(&exact_key(prompts, i, opts.norm, buf)) {
                    return Some((e, 1.0));
                }
                if !opts.near || !src.sketch(i, m, sig) {
                    return None;
                }
                cands.clear();
                for (b, index) in bands.iter().enumerate() {
                    let key = band_key(sig, b, p);
                    let lo = index.partition_point(|&(kk, _)| kk < key);
                    cands.extend(
                        index[lo..]
                            .iter()
                            .take_while(|&&(kk, _)| kk == key)
                            .map(|&(_, e)| e),
                    );
                }
                cands.sort_unstable();
                cands.dedup();
                let mut best: Option<(u32, usize)> = None;
                for &e in cands.iter() {
                    let mm = matches(sig, &eval_sigs[e as usize * k..(e as usize + 1) * k]);
                    if mm >= need && best.is_none_or(|(_, bm)| mm > bm) {
                        best = Some((e, mm));
                    }
                }
                best.map(|(e, mm)| (e, (mm as f64 / k as f64) as f32))
            },
        )
        .collect())
}

/// Runs decontamination (when `eval` is given), exact and near dedup. `priority` is
/// required for [`Keep::Highest`] (one value per row) and ignored otherwise.
pub fn dedup(
    rows: &Rows<'_>,
    eval: Option<&EvalPrompts<'_>>,
    priority: Option<&[f64]>,
    opts: &DedupOptions,
) -> Result<Outcome> {
    let p = opts.validate()?;
    let m = MinHasher::new(opts.num_perm, opts.seed)?;
    let n = rows.len();
    if let Some(e) = eval {
        if e.set_index.len() != e.prompts.len() {
            return Err(Error::Argument {
                name: "eval_set_index",
                message: format!(
                    "has {} entries for {} eval prompts",
                    e.set_index.len(),
                    e.prompts.len()
                ),
            });
        }
    }
    let prio: Vec<f64> = match opts.keep {
        Keep::First => Vec::new(),
        Keep::Longest => (0..n)
            .into_par_iter()
            .map(|i| rows.byte_len(i) as f64)
            .collect(),
        Keep::Highest => {
            let Some(pr) = priority else {
                return Err(Error::Argument {
                    name: "priority",
                    message: "keep='highest' needs a priority per row".into(),
                });
            };
            if pr.len() != n {
                return Err(Error::Argument {
                    name: "priority",
                    message: format!("has {} values for {n} rows", pr.len()),
                });
            }
            pr.iter()
                .map(|&v| if v.is_nan() { f64::NEG_INFINITY } else { v })
                .collect()
        }
    };
    // strictly better; ties keep the earlier row
    let better = |a: u32, b: u32| !prio.is_empty() && prio[a as usize] > prio[b as usize];

    let mut out = Outcome {
        kind: vec![KEPT; n],
        reference: vec![-1; n],
        similarity: vec![f32::NAN; n],
        eval_set: vec![-1; n],
        stats: Stats {
            bands: p.bands,
            rows: p.rows,
            ..Default::default()
        },
    };

    if let Some(e) = eval {
        if !e.prompts.is_empty() {
            let hits = decontaminate(&rows.prompt_only(), e, opts, &m, p)?;
            for (i, hit) in hits.into_iter().enumerate() {
                if let Some((er, sim)) = hit {
                    out.kind[i] = CONTAMINATION;
                    out.reference[i] = er as i64;
                    out.similarity[i] = sim;
                    out.eval_set[i] = e.set_index[er as usize] as i32;
                }
            }
        }
    }

    if opts.exact {
        let keys = exact_keys(rows, opts.norm);
        let alive: Vec<usize> = (0..n).filter(|&i| out.kind[i] == KEPT).collect();
        let mut best: PrehashedMap<u128, u32> =
            PrehashedMap::with_capacity_and_hasher(n, PrehashedState);
        for &i in &alive {
            best.entry(keys[i])
                .and_modify(|b| {
                    if better(i as u32, *b) {
                        *b = i as u32
                    }
                })
                .or_insert(i as u32);
        }
        for &i in &alive {
            let b = best[&keys[i]];
            if b as usize != i {
                out.kind[i] = EXACT;
                out.reference[i] = b as i64;
                out.similarity[i] = 1.0;
            }
        }
    }

    if opts.near {
        let alive: Vec<u32> = (0..n as u32)
            .filter(|&i| out.kind[i as usize] == KEPT)
            .collect();
        let src = TextSource {
            rows,
            ids: &alive,
            opts: opts.shingle,
        };
        let res = near_duplicates(&src, &m, p, opts.threshold, |a, b| {
            better(alive[a as usize], alive[b as usize])
        })?;
        out.stats.candidate_pairs = res.candidate_pairs;
        out.stats.verified_pairs = res.verified_pairs;
        for (i, kp, sim) in res.removed {
            let (i, kp) = (alive[i as usize] as usize, alive[kp as usize]);
            out.kind[i] = NEAR;
            out.reference[i] = kp as i64;
            out.similarity[i] = sim;
        }
        // An exact copy of a row that near dedup removed points at that row's keeper.
        for i in 0..n {
            if out.kind[i] == EXACT {
                let r = out.reference[i] as usize;
                if out.kind[r] == NEAR {
                    out.reference[i] = out.reference[r];
                    out.similarity[i] = out.similarity[r];
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
