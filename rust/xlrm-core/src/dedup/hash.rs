//! Hash primitives. Everything here is a fixed, documented function of its input, so the
//! pure-Python reference in `tests/` can reproduce every hash bit for bit.

use xxhash_rust::xxh3::xxh3_128;

use super::rows::Rows;
use crate::normalize::{normalize_into, NormalizeOptions};

/// MurmurHash3's 64-bit finaliser: a cheap, well-mixing bijection on `u64`.
#[inline(always)]
pub const fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// The folded multiply (as in wyhash/foldhash): the two halves of the 128-bit product XORed.
/// One multiplication instruction that mixes every input bit into every output bit.
#[inline(always)]
pub const fn fold_mul(a: u64, b: u64) -> u64 {
    let p = (a as u128).wrapping_mul(b as u128);
    (p >> 64) as u64 ^ p as u64
}

/// Appends the canonical bytes of one row to `buf`: for every field, the number of its
/// messages (u32 LE), then each message as its normalised byte length (u32 LE) and bytes.
/// Length prefixes make the encoding unambiguous whatever the text contains.
pub fn canonical_row(rows: &Rows<'_>, row: usize, opts: NormalizeOptions, buf: &mut Vec<u8>) {
    for field in rows.fields() {
        let msgs = field.messages(row);
        buf.extend_from_slice(&(msgs.clone().count() as u32).to_le_bytes());
        for m in msgs {
            let at = buf.len();
            buf.extend_from_slice(&[0; 4]);
            normalize_into(m, opts, buf);
            let len = (buf.len() - at - 4) as u32;
            buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
        }
    }
}

/// xxh3-128 of [`canonical_row`]: the exact-duplicate key of a row.
pub fn exact_key(rows: &Rows<'_>, row: usize, opts: NormalizeOptions, buf: &mut Vec<u8>) -> u128 {
    buf.clear();
    canonical_row(rows, row, opts, buf);
    xxh3_128(buf)
}

/// A `BuildHasher` for keys that are already uniform hashes: it uses their low 64 bits.
#[derive(Clone, Copy, Default)]
pub struct PrehashedState;

#[derive(Default)]
pub struct PrehashedHasher(u64);

impl std::hash::Hasher for PrehashedHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for key types without a specialised write; fold the bytes in.
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.0 = fmix64(self.0 ^ u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 ^= i;
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.0 ^= i as u64;
    }
}

impl std::hash::BuildHasher for PrehashedState {
    type Hasher = PrehashedHasher;
    #[inline]
    fn build_hasher(&self) -> PrehashedHasher {
        PrehashedHasher(0)
    }
}

pub type PrehashedMap<K, V> = std::collections::HashMap<K, V, PrehashedState>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmix_is_murmur3() {
        assert_eq!(fmix64(0), 0);
        assert_eq!(fmix64(1), 0xb456_bcfc_34c2_cb2c);
    }
}
