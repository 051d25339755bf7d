//! Length limits for preference pairs that never silently change what is
//! being compared.
//!
//! A pair is tokenized three times: the prompt alone, prompt + chosen and
//! prompt + rejected. The prompt part both sides share is
//! `min(lcp(prompt, chosen), lcp(prompt, rejected))` (lcp = longest common
//! prefix, in tokens), so a template that renders the prompt differently
//! inside a conversation can never make us cut response tokens by mistake.
//!
//! When the longer side exceeds `max_length`:
//! 1. tokens are removed from the left of the shared prompt (after the first
//!    `keep_head` tokens, e.g. a BOS or system header), the same span from
//!    both sides, keeping at least `min_prompt` prompt tokens;
//! 2. if that is not enough, the pair is dropped (`TooLong`), or, only when
//!    `truncate_responses` is set, both sides are cut from the right to
//!    `max_length`; a pair whose two sides are then identical is dropped
//!    (`IdenticalAfterTruncation`).
//!
//! Pairs that are empty or identical before any truncation are dropped too.
//! Every pair gets a status code, so the caller can count each reason.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::pack::tokens::{TokColumn, TokColumnBuilder, Token};

/// What happened to one pair (the numeric codes cross into Python).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Kept = 0,
    PromptTruncated = 1,
    ResponsesTruncated = 2,
    DroppedEmpty = 10,
    DroppedIdentical = 11,
    DroppedIdenticalAfterTruncation = 12,
    DroppedTooLong = 13,
}

impl Status {
    pub fn is_kept(self) -> bool {
        (self as u8) < 10
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TruncateOptions {
    /// Longest allowed sequence (each side); 0 means no limit.
    pub max_length: usize,
    /// Prompt tokens always kept once truncation starts (if the prompt has them).
    pub min_prompt: usize,
    /// Leading prompt tokens never removed (BOS, template header).
    pub keep_head: usize,
    /// Cut responses from the right when removing prompt tokens is not enough.
    pub truncate_responses: bool,
}

/// One pair's decision: remove `cut_len` tokens at `cut_start` from both
/// sides, then keep the first `keep_c` / `keep_r` tokens of what is left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Plan {
    status: Status,
    cut_start: usize,
    cut_len: usize,
    keep_c: usize,
    keep_r: usize,
}

fn lcp<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn plan<T: Token>(p: &[T], c: &[T], r: &[T], o: &TruncateOptions) -> Plan {
    let drop = |status| Plan {
        status,
        cut_start: 0,
        cut_len: 0,
        keep_c: 0,
        keep_r: 0,
    };
    if c.is_empty() || r.is_empty() {
        return drop(Status::DroppedEmpty);
    }
    if c == r {
        return drop(Status::DroppedIdentical);
    }
    let longest = c.len().max(r.len());
    if o.max_length == 0 || longest <= o.max_length {
        return Plan {
            status: Status::Kept,
            cut_start: 0,
            cut_len: 0,
            keep_c: c.len(),
            keep_r: r.len(),
        };
    }
    let excess = longest - o.max_length;
    let shared = lcp(p, c).min(lcp(p, r));
    let head = o.keep_head.min(shared);
    let body = shared - head;
    let removable = body - o.min_prompt.min(body);
    if excess <= removable {
        return Plan {
            status: Status::PromptTruncated,
            cut_start: head,
            cut_len: excess,
            keep_c: c.len() - excess,
            keep_r: r.len() - excess,
        };
    }
    if !o.truncate_responses {
        return drop(Status::DroppedTooLong);
    }
    let keep_c = (c.len() - removable).min(o.max_length);
    let keep_r = (r.len() - removable).min(o.max_length);
    let side = |s: &[T], keep: usize| -> Vec<T> {
        s[..head]
            .iter()
            .chain(&s[head + removable..])
            .take(keep)
            .copied()
            .collect()
    };
    if keep_c == keep_r && side(c, keep_c) == side(r, keep_r) {
        return drop(Status::DroppedIdenticalAfterTruncation);
    }
    Plan {
        status: Status::ResponsesTruncated,
        cut_start: head,
        cut_len: removable,
        keep_c,
        keep_r,
    }
}

/// Truncated pairs: the kept rows' token columns plus a status per input pair.
#[derive(Debug)]
pub struct Truncated<T> {
    pub chosen: (Vec<T>, Vec<i64>),
    pub rejected: (Vec<T>, Vec<i64>),
    /// One code per input pair ([`Status`] as `u8`).
    pub status: Vec<u8>,
    /// Prompt tokens removed from each input pair (0 for dropped pairs).
    pub prompt_removed: Vec<u32>,
}

fn cut<T: Token>(s: &[T], start: usize, len: usize, keep: usize) -> [&[T]; 2] {
    let a = &s[..start];
    let b = &s[start + len..];
    if keep <= a.len() {
        [&a[..keep], &[]]
    } else {
        [a, &b[..keep - a.len()]]
    }
}

/// Applies [`TruncateOptions`] to every pair (rows of three equal-length columns).
pub fn truncate_pairs<T: Token>(
    prompt: &TokColumn<'_, T>,
    chosen: &TokColumn<'_, T>,
    rejected: &TokColumn<'_, T>,
    opts: &TruncateOptions,
) -> Result<Truncated<T>> {
    let n = chosen.len();
    if prompt.len() != n || rejected.len() != n {
        return Err(Error::Argument {
            name: "rejected",
            message: format!(
                "prompt, chosen and rejected columns differ in length ({}, {n}, {})",
                prompt.len(),
                rejected.len()
            ),
        });
    }
    let plans: Vec<Plan> = (0..n)
        .into_par_iter()
        .map(|i| plan(prompt.get(i), chosen.get(i), rejected.get(i), opts))
        .collect();
    let kept = plans.iter().filter(|p| p.status.is_kept()).count();
    let (tc, tr) = plans
        .iter()
        .fold((0, 0), |(a, b), p| (a + p.keep_c, b + p.keep_r));
    let mut bc = TokColumnBuilder::with_capacity(kept, tc);
    let mut br = TokColumnBuilder::with_capacity(kept, tr);
    for (i, p) in plans.iter().enumerate() {
        if p.status.is_kept() {
            bc.push_parts(&cut(chosen.get(i), p.cut_start, p.cut_len, p.keep_c));
            br.push_parts(&cut(rejected.get(i), p.cut_start, p.cut_len, p.keep_r));
        }
    }
    Ok(Truncated {
        chosen: bc.finish(),
        rejected: br.finish(),
        status: plans.iter().map(|p| p.status as u8).collect(),
        prompt_removed: plans
            .iter()
            .map(|p| {
                if p.status.is_kept() {
                    p.cut_len as u32
                } else {
                    0
                }
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(rows: &[Vec<i32>]) -> (Vec<i32>, Vec<i64>) {
        let mut b = TokColumnBuilder::with_capacity(rows.len(), 0);
        for r in rows {
            b.push_parts(&[r]);
        }
        b.finish()
    }

    fn run(p: Vec<i32>, c: Vec<i32>, r: Vec<i32>, o: TruncateOptions) -> (u8, Vec<i32>, Vec<i32>) {
        let (pv, po) = col(&[p]);
        let (cv, co) = col(&[c]);
        let (rv, ro) = col(&[r]);
        let t = truncate_pairs(
            &TokColumn::new(&pv, &po, "p").unwrap(),
            &TokColumn::new(&cv, &co, "c").unwrap(),
            &TokColumn::new(&rv, &ro, "r").unwrap(),
            &o,
        )
        .unwrap();
        (t.status[0], t.chosen.0, t.rejected.0)
    }

    const O: TruncateOptions = TruncateOptions {
        max_length: 6,
        min_prompt: 1,
        keep_head: 1,
        truncate_responses: false,
    };

    #[test]
    fn fits_unchanged() {
        let (s, c, r) = run(vec![1, 2, 3], vec![1, 2, 3, 4], vec![1, 2, 3, 5, 6], O);
        assert_eq!((s, c, r), (0, vec![1, 2, 3, 4], vec![1, 2, 3, 5, 6]));
    }

    #[test]
    fn cuts_prompt_from_the_left_after_the_head() {
        // prompt 1..=5, responses [7,8] and [9]: longest 7 > 6, remove 1 token after the head
        let (s, c, r) = run(
            vec![1, 2, 3, 4, 5],
            vec![1, 2, 3, 4, 5, 7, 8],
            vec![1, 2, 3, 4, 5, 9],
            O,
        );
        assert_eq!(s, Status::PromptTruncated as u8);
        assert_eq!(c, vec![1, 3, 4, 5, 7, 8]);
        assert_eq!(r, vec![1, 3, 4, 5, 9]);
    }

    #[test]
    fn too_long_is_dropped_whole() {
        let (s, c, r) = run(
            vec![1, 2, 3],
            vec![1, 2, 3, 7, 8, 9, 10, 11],
            vec![1, 2, 3, 9],
            O,
        );
        assert_eq!(s, Status::DroppedTooLong as u8);
        assert!(c.is_empty() && r.is_empty());
    }

    #[test]
    fn response_truncation_and_identical_after() {
        let o = TruncateOptions {
            truncate_responses: true,
            ..O
        };
        // the sides differ only after token 6 → identical once cut to 6
        let (s, _, _) = run(
            vec![1],
            vec![1, 2, 3, 4, 5, 6, 7],
            vec![1, 2, 3, 4, 5, 6, 8],
            o,
        );
        assert_eq!(s, Status::DroppedIdenticalAfterTruncation as u8);
        let (s, c, r) = run(
            vec![1, 2, 3],
            vec![1, 2, 3, 4, 5, 6, 7, 8],
            vec![1, 2, 3, 9],
            o,
        );
        assert_eq!(s, Status::ResponsesTruncated as u8);
        assert_eq!(c, vec![1, 3, 4, 5, 6, 7]);
        assert_eq!(r, vec![1, 3, 9]);
    }

    #[test]
    fn degenerate_pairs() {
        assert_eq!(
            run(vec![1], vec![1, 2], vec![1, 2], O).0,
            Status::DroppedIdentical as u8
        );
        assert_eq!(
            run(vec![1], vec![], vec![1, 2], O).0,
            Status::DroppedEmpty as u8
        );
    }

    #[test]
    fn prompt_rendered_differently_is_never_cut_into_responses() {
        // the prompt alone renders as [1,2,99]; in context the shared part is only [1,2]
        let o = TruncateOptions {
            max_length: 5,
            min_prompt: 0,
            keep_head: 0,
            truncate_responses: false,
        };
        let (s, c, r) = run(
            vec![1, 2, 99],
            vec![1, 2, 3, 4, 5, 6],
            vec![1, 2, 3, 4, 7],
            o,
        );
        assert_eq!(s, Status::PromptTruncated as u8);
        assert_eq!(c, vec![2, 3, 4, 5, 6]);
        assert_eq!(r, vec![2, 3, 4, 7]);
        let o = TruncateOptions { max_length: 3, ..o };
        assert_eq!(
            run(
                vec![1, 2, 99],
                vec![1, 2, 3, 4, 5, 6],
                vec![1, 2, 3, 4, 7],
                o
            )
            .0,
            13
        );
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let (v, o) = col(&[vec![1]]);
        let (v2, o2) = col(&[vec![1], vec![2]]);
        let a = TokColumn::new(&v, &o, "a").unwrap();
        let b = TokColumn::new(&v2, &o2, "b").unwrap();
        let opts = O;
        assert!(truncate_pairs(&a, &a, &b, &opts).is_err());
    }
}
