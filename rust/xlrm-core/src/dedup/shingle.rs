//! Script-aware shingles. Text is normalised (NFKC, case folding), cut into sentences, and
//! each sentence into runs of one kind of token:
//!
//! * Han, Hangul and kana characters are tokens of their own and make *character* n-grams
//!   (`char_ngram`). Whitespace does not end such a run, so Korean spacing variants and
//!   Chinese text without spaces shingle alike.
//! * Everything else is split into words at whitespace and punctuation, and makes *word*
//!   n-grams (`word_ngram`).
//!
//! Shingles never cross a sentence end (`. ! ? 。` …), a change of script, a message or a
//! field, so reordering sentences or messages keeps the shingle set. A run shorter than n
//! tokens gives one shingle of the whole run. Punctuation only separates words.
//!
//! Hashes (all `u64`, wrapping arithmetic; reproduced by the Python reference in tests):
//! * word token: FNV-1a over the word's code points (not bytes);
//! * CJK token: `(code point | 1 << 40) * K_CJK`;
//! * shingle of tokens t1..tk: `h = K_SEED; h = (h.rotl(21) ^ t).wrapping_mul(K_MUL)` for each
//!   token, then `h ^ field_salt(field)`.

use crate::error::{Error, Result};
use crate::normalize::{casefold_char, is_punct, scan, Unit, ASCII_CLASS, A_SENTENCE_END, A_UPPER};

use super::hash::fmix64;
use super::rows::Rows;

pub const MAX_NGRAM: usize = 8;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const K_CJK: u64 = 0x9e37_79b9_7f4a_7c15;
const K_SEED: u64 = 0x2545_f491_4f6c_dd1d;
const K_MUL: u64 = 0xbf58_476d_1ce4_e5b9;

/// Which tokens make shingles, and how text is folded before tokenising.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShingleOptions {
    pub word_ngram: usize,
    pub char_ngram: usize,
    pub nfkc: bool,
    pub casefold: bool,
}

impl Default for ShingleOptions {
    fn default() -> Self {
        ShingleOptions {
            word_ngram: 2,
            char_ngram: 3,
            nfkc: true,
            casefold: true,
        }
    }
}

impl ShingleOptions {
    pub fn validate(&self) -> Result<()> {
        for (name, n) in [
            ("word_ngram", self.word_ngram),
            ("char_ngram", self.char_ngram),
        ] {
            if n == 0 || n > MAX_NGRAM {
                return Err(Error::Argument {
                    name,
                    message: format!("must be between 1 and {MAX_NGRAM}, got {n}"),
                });
            }
        }
        Ok(())
    }
}

/// Scripts shingled by characters: Han, Hangul (syllables and jamo), Hiragana, Katakana.
#[inline(always)]
pub fn is_char_script(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FDF | 0x3005..=0x3007 | 0x3021..=0x3029 | 0x3038..=0x303B |
        0x3040..=0x30FA | 0x30FC..=0x30FF | 0x3130..=0x318F | 0x31F0..=0x31FF |
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF |
        0xF900..=0xFAFF | 0xFF66..=0xFF9F | 0x1B000..=0x1B16F | 0x20000..=0x3134F)
}

/// Sentence ends: shingles do not cross them.
#[inline(always)]
pub fn is_sentence_end(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | '\u{3002}'
            | '\u{FF61}'
            | '\u{FF01}'
            | '\u{FF0E}'
            | '\u{FF1F}'
            | '\u{061F}'
            | '\u{06D4}'
            | '\u{0964}'
            | '\u{0965}'
    )
}

/// The salt mixed into every shingle of field `field` (0 = prompt, 1 = chosen, 2 = rejected),
/// so that swapping chosen and rejected is not a near-duplicate.
#[inline]
pub fn field_salt(field: usize) -> u64 {
    fmix64(field as u64 + 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    None,
    Word,
    Cjk,
}

/// Streaming shingler: feed it messages, it calls `emit` once per shingle occurrence.
struct Shingler<'e, E: FnMut(u64)> {
    opts: ShingleOptions,
    salt: u64,
    emit: &'e mut E,
    word: Option<u64>,
    kind: Kind,
    window: [u64; MAX_NGRAM],
    count: usize,
}

impl<E: FnMut(u64)> Shingler<'_, E> {
    #[inline(always)]
    fn n(&self) -> usize {
        if self.kind == Kind::Cjk {
            self.opts.char_ngram
        } else {
            self.opts.word_ngram
        }
    }

    #[inline(always)]
    fn shingle(&mut self, tokens: usize) {
        let start = self.count - tokens;
        let mut h = K_SEED;
        for i in start..self.count {
            h = (h.rotate_left(21) ^ self.window[i % MAX_NGRAM]).wrapping_mul(K_MUL);
        }
        (self.emit)(h ^ self.salt);
    }

    #[inline(always)]
    fn push_token(&mut self, kind: Kind, t: u64) {
        if self.kind != kind {
            self.end_run();
            self.kind = kind;
        }
        self.window[self.count % MAX_NGRAM] = t;
        self.count += 1;
        let n = self.n();
        if self.count >= n {
            self.shingle(n);
        }
    }

    #[inline(always)]
    fn end_word(&mut self) {
        if let Some(h) = self.word.take() {
            self.push_token(Kind::Word, h);
        }
    }

    #[inline(always)]
    fn end_run(&mut self) {
        if self.count > 0 && self.count < self.n() {
            self.shingle(self.count);
        }
        self.count = 0;
        self.kind = Kind::None;
    }

    #[inline(always)]
    fn feed(&mut self, c: char) {
        if is_sentence_end(c) {
            self.end_word();
            self.end_run();
        } else if c.is_whitespace() {
            self.end_word();
        } else if is_char_script(c) {
            self.end_word();
            self.push_token(Kind::Cjk, (c as u64 | 1 << 40).wrapping_mul(K_CJK));
        } else if is_punct(c) {
            self.end_word();
        } else {
            let h = self.word.unwrap_or(FNV_OFFSET);
            self.word = Some((h ^ c as u64).wrapping_mul(FNV_PRIME));
        }
    }

    #[inline(always)]
    fn ascii(&mut self, b: u8) {
        // Same decisions as `feed` on ASCII: no sentence end outside . ! ?, no char-script
        // letters, and folding is lowercasing.
        let cls = ASCII_CLASS[b as usize];
        if cls == 0 || cls == A_UPPER {
            let c = if cls == A_UPPER && self.opts.casefold {
                b | 0x20
            } else {
                b
            };
            let h = self.word.unwrap_or(FNV_OFFSET);
            self.word = Some((h ^ c as u64).wrapping_mul(FNV_PRIME));
        } else {
            self.end_word();
            if cls & A_SENTENCE_END != 0 {
                self.end_run();
            }
        }
    }

    fn message(&mut self, text: &str) {
        let (nfkc, casefold) = (self.opts.nfkc, self.opts.casefold);
        scan(text, nfkc, |u| match u {
            Unit::Ascii(run) => run.iter().for_each(|&b| self.ascii(b)),
            Unit::Cjk(run) => {
                self.end_word();
                for b in run.chunks_exact(3) {
                    let cp = Unit::cjk_code_point(b) as u64;
                    self.push_token(Kind::Cjk, (cp | 1 << 40).wrapping_mul(K_CJK));
                }
            }
            Unit::Other(c) if casefold => casefold_char(c, |c| self.feed(c)),
            Unit::Other(c) => self.feed(c),
        });
        self.end_word();
        self.end_run();
    }
}

/// Calls `emit` for every shingle of row `row` (all fields, all messages). The same shingle
/// may be emitted more than once; MinHash does not care.
pub fn row_shingles(rows: &Rows<'_>, row: usize, opts: &ShingleOptions, mut emit: impl FnMut(u64)) {
    for (fi, field) in rows.fields().iter().enumerate() {
        let mut s = Shingler {
            opts: *opts,
            salt: field_salt(fi),
            emit: &mut emit,
            word: None,
            kind: Kind::None,
            window: [0; MAX_NGRAM],
            count: 0,
        };
        for m in field.messages(row) {
            s.message(m);
        }
    }
}

/// Shingles of one string, as a sorted set (for tests and small tools).
pub fn text_shingles(text: &str, field: usize, opts: &ShingleOptions) -> Vec<u64> {
    let mut out = Vec::new();
    let mut emit = |h| out.push(h);
    let mut s = Shingler {
        opts: *opts,
        salt: field_salt(field),
        emit: &mut emit,
        word: None,
        kind: Kind::None,
        window: [0; MAX_NGRAM],
        count: 0,
    };
    s.message(text);
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(t: &str) -> Vec<u64> {
        text_shingles(t, 0, &ShingleOptions::default())
    }

    #[test]
    fn word_bigrams_within_sentences() {
        // 3 words -> 2 bigrams; a 1-word sentence -> 1 shingle
        assert_eq!(sh("the quick fox").len(), 2);
        assert_eq!(sh("the quick fox. Hi").len(), 3);
        assert_eq!(sh(""), Vec::<u64>::new());
        assert_eq!(sh("  ,;  "), Vec::<u64>::new());
    }

    #[test]
    fn invariant_to_case_spacing_punctuation_and_sentence_order() {
        assert_eq!(sh("The quick  fox, jumps"), sh("the QUICK fox jumps"));
        assert_eq!(
            sh("One two three. Four five six!"),
            sh("Four five six? One two three.")
        );
        // full-width forms fold under NFKC
        assert_eq!(sh("ＡＢＣ def"), sh("abc def"));
    }

    #[test]
    fn cjk_char_ngrams_ignore_spacing() {
        // 5 Han chars -> 3 trigrams
        assert_eq!(sh("我喜欢编程").len(), 3);
        assert_eq!(sh("안녕하세요 반갑습니다"), sh("안녕하세요반갑습니다"));
        assert_eq!(sh("你好，世界。再见"), sh("你好世界。再见"));
        // mixed script: runs split at the script change
        assert_eq!(sh("我喜欢Python编程").len(), 1 + 1 + 1);
    }

    #[test]
    fn field_salt_separates_fields() {
        let o = ShingleOptions::default();
        assert_ne!(text_shingles("a b", 1, &o), text_shingles("a b", 2, &o));
    }

    #[test]
    fn rejects_bad_ngram() {
        assert!(ShingleOptions {
            word_ngram: 0,
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(ShingleOptions {
            char_ngram: 9,
            ..Default::default()
        }
        .validate()
        .is_err());
    }
}
