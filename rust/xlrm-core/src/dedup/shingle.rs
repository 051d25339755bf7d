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
//! Hashes (all `u64`, wrapping arithmetic, `fold(a, b)` = high ^ low half of the 128-bit
//! product; reproduced by the Python reference in tests):
//! * word token: its folded UTF-8 bytes in 8-byte little-endian chunks `c` (the last one
//!   zero-padded), `h = W_SEED; h = fold(h ^ c, W_MUL)` per chunk but the last, then
//!   `fold(fold(h ^ last, W_MUL) ^ byte_len, W_FIN)`;
//! * CJK token: `fold(code_point ^ K_CJK, W_FIN)`;
//! * shingle of tokens t1..tk: `h = 0; h = h.rotl(23) ^ t` for each token, then
//!   `h ^ field_salt(field)`.

use crate::error::{Error, Result};
use crate::normalize::{
    casefold_char, code_point3, is_punct, scan, Unit, A_PUNCT, A_SENTENCE_END, A_SPACE, A_UPPER,
    BYTE_CLASS,
};

use super::hash::{fmix64, fold_mul};
use super::rows::Rows;

pub const MAX_NGRAM: usize = 8;
const W_SEED: u64 = 0x243f_6a88_85a3_08d3;
const W_MUL: u64 = 0x9e37_79b9_7f4a_7c15;
const W_FIN: u64 = 0xbf58_476d_1ce4_e5b9;
const K_CJK: u64 = 0x2545_f491_4f6c_dd1d;

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
        0x3400..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF |
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

/// A word being hashed: full 8-byte chunks folded into `h`, the rest pending in `tail`.
#[derive(Clone, Copy)]
struct Word {
    h: u64,
    tail: u64,
    len: u64,
}

impl Default for Word {
    fn default() -> Self {
        Word {
            h: W_SEED,
            tail: 0,
            len: 0,
        }
    }
}

impl Word {
    #[inline(always)]
    fn push_byte(&mut self, b: u8) {
        let fill = self.len % 8;
        if fill == 0 && self.len > 0 {
            self.h = fold_mul(self.h ^ self.tail, W_MUL);
            self.tail = 0;
        }
        self.tail |= (b as u64) << (8 * fill);
        self.len += 1;
    }

    #[inline(always)]
    fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.push_byte(b);
        }
    }

    /// Appends the ASCII word bytes `run[start..end]` (lowercased when `fold`) eight at a
    /// time; the same result as pushing them one by one. Reads up to 7 bytes past `end`
    /// (inside `run`) and masks them off.
    #[inline(always)]
    fn push_ascii(&mut self, run: &[u8], start: usize, end: usize, fold: bool) {
        let lower = |b: u8| if fold { b.to_ascii_lowercase() } else { b };
        let mut k = start;
        while !self.len.is_multiple_of(8) && k < end {
            self.push_byte(lower(run[k]));
            k += 1;
        }
        while k < end {
            let r = (end - k).min(8);
            let mut c = if k + 8 <= run.len() {
                let c = u64::from_le_bytes(run[k..k + 8].try_into().unwrap());
                if r < 8 {
                    c & ((1u64 << (8 * r)) - 1)
                } else {
                    c
                }
            } else {
                let mut c = 0u64;
                for (j, &b) in run[k..end].iter().enumerate() {
                    c |= (b as u64) << (8 * j);
                }
                c
            };
            if fold {
                c = swar_lower(c);
            }
            if self.len > 0 {
                self.h = fold_mul(self.h ^ self.tail, W_MUL);
            }
            self.tail = c;
            self.len += r as u64;
            k += r;
        }
    }

    /// The token hash, and the word reset; `None` if no byte came in.
    #[inline(always)]
    fn take(&mut self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        let t = fold_mul(fold_mul(self.h ^ self.tail, W_MUL) ^ self.len, W_FIN);
        *self = Word::default();
        Some(t)
    }
}

/// ASCII lowercase of eight ASCII bytes at once.
#[inline(always)]
fn swar_lower(x: u64) -> u64 {
    const H: u64 = 0x8080_8080_8080_8080;
    const fn rep(b: u8) -> u64 {
        (b as u64) * 0x0101_0101_0101_0101
    }
    let ge_a = x + rep(0x80 - b'A');
    let gt_z = x + rep(0x80 - b'Z' - 1);
    x | ((ge_a & !gt_z & H) >> 2)
}

/// The token hash of a character of a char-script.
#[inline(always)]
fn cjk_token(cp: u32) -> u64 {
    fold_mul(cp as u64 ^ K_CJK, W_FIN)
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
    word: Word,
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
        let mut h = 0u64;
        for i in start..self.count {
            h = h.rotate_left(23) ^ self.window[i % MAX_NGRAM];
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
        if let Some(t) = self.word.take() {
            self.push_token(Kind::Word, t);
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
            self.push_token(Kind::Cjk, cjk_token(c as u32));
        } else if is_punct(c) {
            self.end_word();
        } else {
            self.word.push_char(c);
        }
    }

    #[inline(always)]
    fn ascii(&mut self, b: u8) {
        // Same decisions as `feed` on ASCII: no sentence end outside . ! ?, no char-script
        // letters, and folding is lowercasing.
        let cls = BYTE_CLASS[b as usize];
        if cls == 0 || cls == A_UPPER {
            let c = if cls == A_UPPER && self.opts.casefold {
                b | 0x20
            } else {
                b
            };
            self.word.push_byte(c);
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
            Unit::Plain(run) => {
                const SEP: u8 = A_SPACE | A_PUNCT;
                let mut i = 0;
                while i < run.len() {
                    let b = run[i];
                    if b >= 0x80 {
                        self.end_word();
                        self.push_token(Kind::Cjk, cjk_token(code_point3(&run[i..])));
                        i += 3;
                    } else if BYTE_CLASS[b as usize] & SEP == 0 {
                        let start = i;
                        i += 1;
                        while i < run.len()
                            && run[i] < 0x80
                            && BYTE_CLASS[run[i] as usize] & SEP == 0
                        {
                            i += 1;
                        }
                        self.word.push_ascii(run, start, i, casefold);
                    } else {
                        self.ascii(b);
                        i += 1;
                    }
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
            word: Word::default(),
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
        word: Word::default(),
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

    proptest::proptest! {
        #[test]
        fn word_chunks_match_bytes(prefix in "[a-zA-Z0-9]{0,11}", word in "[a-zA-Z0-9_~]{0,40}", fold in proptest::bool::ANY) {
            let mut a = Word::default();
            let mut b = Word::default();
            for &x in prefix.as_bytes() {
                a.push_byte(x);
                b.push_byte(x);
            }
            let padded = format!("{word}~~~~~~~~");
            a.push_ascii(padded.as_bytes(), 0, word.len(), fold);
            let mut c = Word::default();
            for &x in prefix.as_bytes() {
                c.push_byte(x);
            }
            c.push_ascii(word.as_bytes(), 0, word.len(), fold);
            for &x in word.as_bytes() {
                b.push_byte(if fold { x.to_ascii_lowercase() } else { x });
            }
            let want = b.take();
            proptest::prop_assert_eq!(a.take(), want);
            proptest::prop_assert_eq!(c.take(), want);
        }

        #[test]
        fn swar_lowercase(x in proptest::array::uniform8(0u8..128)) {
            let v = u64::from_le_bytes(x);
            let want = u64::from_le_bytes(x.map(|b| b.to_ascii_lowercase()));
            proptest::prop_assert_eq!(swar_lower(v), want);
        }
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
