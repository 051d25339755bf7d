//! Text normalisation shared by validation and dedup: Unicode NFKC, case
//! folding, whitespace folding and optional punctuation stripping. Works on
//! `char`s, never bytes, so Hangul and Han text is never split mid-character.

use rayon::prelude::*;
use unicode_normalization::UnicodeNormalization;

use crate::column::{StrColumn, StrColumnBuilder};

/// Which normalisation steps to apply, in the fixed order NFKC → case fold →
/// punctuation strip → whitespace fold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormalizeOptions {
    pub nfkc: bool,
    pub casefold: bool,
    pub strip_punct: bool,
    pub fold_whitespace: bool,
}

impl Default for NormalizeOptions {
    fn default() -> Self {
        NormalizeOptions { nfkc: true, casefold: true, strip_punct: false, fold_whitespace: true }
    }
}

impl NormalizeOptions {
    /// Only whitespace folding: "same text up to spacing".
    pub fn whitespace_only() -> Self {
        NormalizeOptions { nfkc: false, casefold: false, strip_punct: false, fold_whitespace: true }
    }
}

/// Unicode punctuation and symbols (general categories P* and S*) that carry
/// no content for duplicate detection. `char::is_ascii_punctuation` would miss
/// CJK punctuation such as '，' and '。', hence the explicit ranges.
fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(c as u32,
        0x00A1..=0x00BF | 0x00D7 | 0x00F7 |
        0x2010..=0x2027 | 0x2030..=0x205E |
        0x2190..=0x23FF | 0x2500..=0x27BF |
        0x2E00..=0x2E7F |
        0x3000..=0x303F |       // CJK symbols and punctuation
        0x30FB |                // katakana middle dot
        0xFE10..=0xFE1F | 0xFE30..=0xFE6F |
        0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65)
}

/// Normalises one string. Whitespace folding trims both ends and turns every
/// run of Unicode whitespace into one ASCII space.
pub fn normalize(s: &str, opts: NormalizeOptions) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| {
        if opts.strip_punct && is_punct(c) {
            return;
        }
        if opts.fold_whitespace && c.is_whitespace() {
            pending_space = !out.is_empty();
            return;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    };
    let fold_case = |c: char, out: &mut String, push: &mut dyn FnMut(char, &mut String)| {
        if opts.casefold {
            for l in c.to_lowercase() {
                push(l, out);
            }
        } else {
            push(c, out);
        }
    };
    if opts.nfkc {
        for c in s.nfkc() {
            fold_case(c, &mut out, &mut push);
        }
    } else {
        for c in s.chars() {
            fold_case(c, &mut out, &mut push);
        }
    }
    out
}

/// Normalises a whole column in parallel; row order is preserved, so the
/// result does not depend on the number of threads.
pub fn normalize_column(col: &StrColumn<'_>, opts: NormalizeOptions) -> (Vec<u8>, Vec<i64>) {
    let rows: Vec<String> = (0..col.len()).into_par_iter().map(|i| normalize(col.get(i), opts)).collect();
    let bytes = rows.iter().map(String::len).sum();
    let mut b = StrColumnBuilder::with_capacity(rows.len(), bytes);
    for r in &rows {
        b.push(r);
    }
    b.finish()
}

/// Row-wise "a equals b after normalisation", without materialising either.
pub fn equal_normalized(a: &StrColumn<'_>, b: &StrColumn<'_>, opts: NormalizeOptions) -> Vec<bool> {
    (0..a.len().min(b.len()))
        .into_par_iter()
        .map(|i| normalize(a.get(i), opts) == normalize(b.get(i), opts))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_whitespace_case_and_width() {
        let o = NormalizeOptions::default();
        assert_eq!(normalize("  Hello \t\n  WORLD  ", o), "hello world");
        // full-width Latin and the ideographic space become ASCII under NFKC
        assert_eq!(normalize("ＡＢＣ\u{3000}ｄ", o), "abc d");
        // Hangul stays composed (NFKC recomposes jamo)
        assert_eq!(normalize("\u{1100}\u{1161}", o), "가");
        assert_eq!(normalize("你好，世界。", o), "你好,世界。");
    }

    #[test]
    fn strips_punctuation_across_scripts() {
        let o = NormalizeOptions { strip_punct: true, ..Default::default() };
        assert_eq!(normalize("Hi, there! ¿Qué tal?", o), "hi there qué tal");
        assert_eq!(normalize("你好，世界。", o), "你好世界");
        assert_eq!(normalize("안녕하세요!  반갑습니다.", o), "안녕하세요 반갑습니다");
    }

    #[test]
    fn whitespace_only_keeps_case() {
        assert_eq!(normalize(" A  b ", NormalizeOptions::whitespace_only()), "A b");
    }

    proptest! {
        #[test]
        fn idempotent(s in "\\PC{0,40}") {
            let o = NormalizeOptions { strip_punct: true, ..Default::default() };
            let once = normalize(&s, o);
            prop_assert_eq!(normalize(&once, o), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
            prop_assert!(!once.contains("  "));
        }
    }
}
