//! Distributions of row norms per group (e.g. per language), optionally
//! weighted (token frequencies), with quantiles, shared-edge histograms and
//! Wasserstein-1 distances between groups.
//!
//! Rows stream in; each contributes one `(norm, weight)` pair to its group, so
//! memory is 16 bytes per row (never `n × d`). Quantiles and distances are
//! then exact rather than sketched.

use super::gram::{check_rows, NonFinite};
use super::{arg_err, Chunk};
use crate::error::Result;
use crate::limits::{filled, in_range, product};

/// Most groups one accumulator keeps. Group ids index a dense table, so an id of 2^32 − 1
/// alone would ask for 4 billion groups; a million is far more than the languages,
/// categories or layers xlrm groups by.
pub const MAX_GROUPS: usize = 1 << 20;

/// Most histogram bins: far finer than any plot or distance needs.
pub const MAX_BINS: usize = 1 << 20;

/// Most histogram cells (bins × non-empty groups) one report holds: 1 GiB of f64.
pub const MAX_HIST_CELLS: usize = 1 << 27;

#[derive(Clone, Debug, Default)]
struct Group {
    values: Vec<f64>,
    weights: Vec<f64>,
    skipped: u64,
}

#[derive(Clone, Debug)]
pub struct NormAccumulator {
    nonfinite: NonFinite,
    groups: Vec<Group>,
}

/// Summary of one group's (weighted) distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupSummary {
    pub count: u64,
    pub weight: f64,
    pub skipped: u64,
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
    pub quantiles: Vec<f64>,
    /// Weighted counts in the report's shared bins.
    pub hist: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NormReport {
    /// `bins + 1` edges shared by all groups.
    pub edges: Vec<f64>,
    /// One per group id; `None` for ids that received no value.
    pub groups: Vec<Option<GroupSummary>>,
}

fn check_weights(weights: Option<&[f64]>, n: usize) -> Result<()> {
    if let Some(w) = weights {
        if w.len() != n {
            return Err(arg_err(
                "weights",
                format!("has {} entries for {n} rows", w.len()),
            ));
        }
        if let Some(i) = w.iter().position(|v| !v.is_finite() || *v < 0.0) {
            return Err(arg_err(
                "weights",
                format!("entry {i} is {} (weights must be finite and ≥ 0)", w[i]),
            ));
        }
    }
    Ok(())
}

/// Sort `(value, weight)` by value, dropping zero weights.
fn sorted_pairs(values: &[f64], weights: &[f64]) -> Vec<(f64, f64)> {
    let mut p: Vec<(f64, f64)> = values
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(v, w)| (*v, *w))
        .collect();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    p
}

/// Quantiles of a weighted sample with numpy's default (`linear`) rule, read
/// on the frequency-expanded sample: with integer weights the result equals
/// `numpy.quantile(numpy.repeat(values, weights), q)`.
///
/// Every value must be finite. numpy answers NaN for a sample holding NaN, which then
/// travels silently into reports; ±Inf makes the linear rule compute `inf − inf`. Either is
/// an error here naming the first such value, so the caller decides what to drop.
pub fn weighted_quantiles(values: &[f64], weights: Option<&[f64]>, q: &[f64]) -> Result<Vec<f64>> {
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(arg_err(
            "values",
            format!(
                "values[{i}] is {}; quantiles need finite values, so drop NaN and ±Inf first \
                 (values[numpy.isfinite(values)])",
                values[i]
            ),
        ));
    }
    let ones;
    let w = match weights {
        Some(w) => w,
        None => {
            ones = vec![1.0; values.len()];
            &ones
        }
    };
    check_weights(Some(w), values.len())?;
    if let Some(bad) = q.iter().find(|v| !(0.0..=1.0).contains(*v)) {
        return Err(arg_err("quantiles", format!("{bad} is outside [0, 1]")));
    }
    let p = sorted_pairs(values, w);
    if p.is_empty() {
        return Err(arg_err("values", "no values with positive weight"));
    }
    Ok(quantiles_sorted(&p, q))
}

fn quantiles_sorted(p: &[(f64, f64)], q: &[f64]) -> Vec<f64> {
    let mut cum = Vec::with_capacity(p.len());
    let mut acc = 0.0;
    for (_, w) in p {
        acc += w;
        cum.push(acc);
    }
    let total = acc;
    // Value at expanded position k: the first i with cum[i] > k.
    let at = |k: f64| -> f64 {
        let i = cum.partition_point(|c| *c <= k);
        p[i.min(p.len() - 1)].0
    };
    q.iter()
        .map(|&qq| {
            let h = qq * (total - 1.0).max(0.0);
            let lo = h.floor();
            let frac = h - lo;
            let a = at(lo);
            if frac == 0.0 {
                a
            } else {
                a + frac * (at(lo + 1.0) - a)
            }
        })
        .collect()
}

/// Wasserstein-1 distance `∫ |F_a(t) − F_b(t)| dt` between two weighted
/// empirical distributions (weights normalised per side; `None` = equal).
pub fn wasserstein1(a: &[f64], wa: Option<&[f64]>, b: &[f64], wb: Option<&[f64]>) -> Result<f64> {
    let prep = |v: &[f64], w: Option<&[f64]>, name: &'static str| -> Result<Vec<(f64, f64)>> {
        check_weights(w, v.len())?;
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(arg_err(name, format!("value {i} is not finite")));
        }
        let ones = vec![1.0; v.len()];
        let p = sorted_pairs(v, w.unwrap_or(&ones));
        let total: f64 = p.iter().map(|x| x.1).sum();
        if p.is_empty() || total <= 0.0 {
            return Err(arg_err(
                name,
                "empty distribution (no values with positive weight)",
            ));
        }
        Ok(p.into_iter().map(|(x, w)| (x, w / total)).collect())
    };
    let pa = prep(a, wa, "a")?;
    let pb = prep(b, wb, "b")?;
    let (mut i, mut j) = (0, 0);
    let (mut fa, mut fb) = (0.0f64, 0.0f64);
    let mut dist = 0.0;
    let mut t = f64::min(pa[0].0, pb[0].0);
    while i < pa.len() || j < pb.len() {
        let next = match (pa.get(i), pb.get(j)) {
            (Some(x), Some(y)) => x.0.min(y.0),
            (Some(x), None) => x.0,
            (None, Some(y)) => y.0,
            (None, None) => break,
        };
        dist += (fa - fb).abs() * (next - t);
        t = next;
        while i < pa.len() && pa[i].0 == t {
            fa += pa[i].1;
            i += 1;
        }
        while j < pb.len() && pb[j].0 == t {
            fb += pb[j].1;
            j += 1;
        }
    }
    Ok(dist)
}

impl NormAccumulator {
    pub fn new(nonfinite: NonFinite) -> Self {
        Self {
            nonfinite,
            groups: Vec::new(),
        }
    }

    pub fn num_groups(&self) -> usize {
        self.groups.len()
    }

    /// Checks group ids before anything is added, so a bad id leaves the accumulator as it was.
    fn check_groups(groups: &[u32]) -> Result<()> {
        if let Some((i, &g)) = groups
            .iter()
            .enumerate()
            .find(|(_, &g)| g as usize >= MAX_GROUPS)
        {
            return Err(arg_err(
                "groups",
                format!(
                    "groups[{i}] is {g}, above the largest supported group id {}; number groups \
                     densely from 0 (xlrm.stats.NormAccumulator does this for group names)",
                    MAX_GROUPS - 1
                ),
            ));
        }
        Ok(())
    }

    fn group_mut(&mut self, g: u32) -> &mut Group {
        let g = g as usize;
        if self.groups.len() <= g {
            self.groups.resize_with(g + 1, Group::default);
        }
        &mut self.groups[g]
    }

    /// Add the Euclidean norm of every row of `chunk` to group `groups[i]`.
    pub fn update(
        &mut self,
        chunk: &Chunk<'_>,
        groups: &[u32],
        weights: Option<&[f64]>,
    ) -> Result<()> {
        if groups.len() != chunk.nrows() {
            return Err(arg_err(
                "groups",
                format!("has {} entries for {} rows", groups.len(), chunk.nrows()),
            ));
        }
        check_weights(weights, chunk.nrows())?;
        Self::check_groups(groups)?;
        let valid = check_rows(chunk, self.nonfinite, 0, "")?;
        let norms = chunk.row_norms();
        self.push(&norms, &valid, groups, weights);
        Ok(())
    }

    /// Add precomputed values (e.g. token-embedding norms) to groups.
    pub fn add_values(
        &mut self,
        values: &[f64],
        groups: &[u32],
        weights: Option<&[f64]>,
    ) -> Result<()> {
        if groups.len() != values.len() {
            return Err(arg_err(
                "groups",
                format!("has {} entries for {} values", groups.len(), values.len()),
            ));
        }
        check_weights(weights, values.len())?;
        Self::check_groups(groups)?;
        let valid: Vec<bool> = values.iter().map(|v| v.is_finite()).collect();
        if self.nonfinite == NonFinite::Error {
            if let Some(i) = valid.iter().position(|v| !v) {
                return Err(arg_err(
                    "values",
                    format!(
                        "value {i} is {} ; drop it or use nonfinite='skip'",
                        values[i]
                    ),
                ));
            }
        }
        self.push(values, &valid, groups, weights);
        Ok(())
    }

    fn push(&mut self, values: &[f64], valid: &[bool], groups: &[u32], weights: Option<&[f64]>) {
        for (i, (&v, &g)) in values.iter().zip(groups).enumerate() {
            let w = weights.map_or(1.0, |w| w[i]);
            let grp = self.group_mut(g);
            if valid[i] && v.is_finite() {
                grp.values.push(v);
                grp.weights.push(w);
            } else {
                grp.skipped += 1;
            }
        }
    }

    pub fn merge(&mut self, other: &NormAccumulator) {
        for (g, o) in other.groups.iter().enumerate() {
            let grp = self.group_mut(g as u32);
            grp.values.extend_from_slice(&o.values);
            grp.weights.extend_from_slice(&o.weights);
            grp.skipped += o.skipped;
        }
    }

    /// Raw `(values, weights)` of one group.
    pub fn group_values(&self, g: usize) -> (&[f64], &[f64]) {
        self.groups
            .get(g)
            .map_or((&[], &[]), |x| (&x.values[..], &x.weights[..]))
    }

    /// Wasserstein-1 distance between two groups' distributions.
    pub fn distance(&self, a: usize, b: usize) -> Result<f64> {
        let (va, wa) = self.group_values(a);
        let (vb, wb) = self.group_values(b);
        wasserstein1(va, Some(wa), vb, Some(wb))
    }

    /// Summaries with `bins` shared histogram bins over `range` (default: the
    /// min and max over all groups).
    pub fn finalize(
        &self,
        q: &[f64],
        bins: usize,
        range: Option<(f64, f64)>,
    ) -> Result<NormReport> {
        if let Some(bad) = q.iter().find(|v| !(0.0..=1.0).contains(*v)) {
            return Err(arg_err("quantiles", format!("{bad} is outside [0, 1]")));
        }
        in_range(
            "bins",
            bins,
            1,
            MAX_BINS,
            "bins",
            "pass the number of histogram bins to plot (the default is 50)",
        )?;
        let sorted: Vec<Vec<(f64, f64)>> = self
            .groups
            .iter()
            .map(|g| sorted_pairs(&g.values, &g.weights))
            .collect();
        if sorted.iter().all(Vec::is_empty) {
            return Err(arg_err(
                "accumulator",
                "no finite values with positive weight were added; call update() first",
            ));
        }
        let (lo, hi) = match range {
            Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo < hi => (lo, hi),
            Some((lo, hi)) => {
                return Err(arg_err(
                    "range",
                    format!("({lo}, {hi}) must be finite with lo < hi"),
                ))
            }
            None => {
                let lo = sorted
                    .iter()
                    .filter_map(|p| p.first())
                    .map(|x| x.0)
                    .fold(f64::INFINITY, f64::min);
                let hi = sorted
                    .iter()
                    .filter_map(|p| p.last())
                    .map(|x| x.0)
                    .fold(f64::NEG_INFINITY, f64::max);
                if hi > lo {
                    (lo, hi)
                } else {
                    (lo - 0.5, hi + 0.5)
                }
            }
        };
        let used = sorted.iter().filter(|p| !p.is_empty()).count();
        let cells = product("bins", bins, used, "bins × groups")?;
        if cells > MAX_HIST_CELLS {
            return Err(arg_err(
                "bins",
                format!(
                    "{bins} bins × {used} groups = {cells} histogram cells is more than the \
                     supported {MAX_HIST_CELLS}; lower bins to at most {}",
                    MAX_HIST_CELLS / used
                ),
            ));
        }
        let width = (hi - lo) / bins as f64;
        let edges: Vec<f64> = (0..=bins)
            .map(|i| if i == bins { hi } else { lo + width * i as f64 })
            .collect();
        let groups = sorted
            .iter()
            .zip(&self.groups)
            .map(|(p, g)| -> Result<Option<GroupSummary>> {
                if p.is_empty() {
                    return Ok(None);
                }
                let weight: f64 = p.iter().map(|x| x.1).sum();
                let mean = p.iter().map(|(v, w)| v * w).sum::<f64>() / weight;
                let var = p.iter().map(|(v, w)| w * (v - mean).powi(2)).sum::<f64>() / weight;
                let mut hist = filled(bins, 0.0, "bins", "a histogram", "lower bins")?;
                for (v, w) in p {
                    if *v < lo || *v > hi {
                        continue;
                    }
                    let k = (((v - lo) / width) as usize).min(bins - 1);
                    hist[k] += w;
                }
                Ok(Some(GroupSummary {
                    count: p.len() as u64,
                    weight,
                    skipped: g.skipped,
                    mean,
                    std: var.sqrt(),
                    min: p[0].0,
                    max: p[p.len() - 1].0,
                    quantiles: quantiles_sorted(p, q),
                    hist,
                }))
            })
            .collect::<Result<_>>()?;
        Ok(NormReport { edges, groups })
    }
}
