//! Criterion benches of the dedup building blocks on synthetic text in three scripts:
//! normalisation + exact keys, shingling + MinHash signatures, and the full pipeline.
//! `cargo bench -p xlrm-core --bench dedup`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use xlrm_core::column::StrColumnBuilder;
use xlrm_core::dedup::hash::fmix64;
use xlrm_core::dedup::minhash::MinHasher;
use xlrm_core::dedup::shingle::{row_shingles, ShingleOptions};
use xlrm_core::dedup::{dedup, exact_keys, DedupOptions, Field, Messages, Rows};
use xlrm_core::normalize::{normalize_into, NormalizeOptions};

const ROWS: usize = 2000;

/// Deterministic pseudo-text: `script` 0 = English words (ASCII), 1 = English with a
/// curly apostrophe, 2 = Chinese, 3 = Korean. About 1.2 kB per row.
fn text(script: u8, row: usize) -> String {
    let mut s = String::new();
    let mut x = fmix64(row as u64 + 1);
    let mut next = || {
        x = fmix64(x);
        x
    };
    while s.len() < 1200 {
        match script {
            0 | 1 => {
                let w = [
                    "the", "model", "Answer", "data", "reward", "of", "language", "is", "a",
                    "Paris",
                ];
                s.push_str(w[(next() % 10) as usize]);
                s.push(if next() % 12 == 0 { '.' } else { ' ' });
                if script == 1 && next() % 50 == 0 {
                    s.push_str("it\u{2019}s ");
                }
            }
            2 => {
                s.push(char::from_u32(0x4E00 + (next() % 3000) as u32).unwrap());
                if next() % 20 == 0 {
                    s.push('，');
                }
            }
            _ => {
                s.push(char::from_u32(0xAC00 + (next() % 2000) as u32).unwrap());
                if next() % 4 == 0 {
                    s.push(' ');
                }
            }
        }
    }
    s
}

fn column(script: u8) -> (Vec<u8>, Vec<i64>, Vec<i64>) {
    let mut b = StrColumnBuilder::default();
    for i in 0..ROWS {
        b.push(&text(script, i));
    }
    let (d, o) = b.finish();
    (d, o, (0..=ROWS as i64).collect())
}

const SCRIPTS: [(&str, u8); 4] = [("ascii", 0), ("latin-mixed", 1), ("han", 2), ("hangul", 3)];

fn bench_normalize(c: &mut Criterion) {
    let mut g = c.benchmark_group("normalize+exact_key");
    for (name, script) in SCRIPTS {
        let (d, o, r) = column(script);
        let rows = Rows::new(vec![
            Field::single(Messages::new(&d, &o).unwrap(), &r).unwrap()
        ])
        .unwrap();
        g.throughput(Throughput::Bytes(d.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("normalize_into", name),
            &rows,
            |b, rows| {
                let mut buf = Vec::new();
                b.iter(|| {
                    for i in 0..rows.len() {
                        buf.clear();
                        for m in rows.fields()[0].messages(i) {
                            normalize_into(m, NormalizeOptions::default(), &mut buf);
                        }
                        black_box(&buf);
                    }
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("exact_keys", name), &rows, |b, rows| {
            b.iter(|| black_box(exact_keys(rows, NormalizeOptions::default())))
        });
    }
    g.finish();
}

fn bench_minhash(c: &mut Criterion) {
    let mut g = c.benchmark_group("shingle+minhash");
    let m = MinHasher::new(128, 1).unwrap();
    let opts = ShingleOptions::default();
    for (name, script) in SCRIPTS {
        let (d, o, r) = column(script);
        let rows = Rows::new(vec![
            Field::single(Messages::new(&d, &o).unwrap(), &r).unwrap()
        ])
        .unwrap();
        g.throughput(Throughput::Bytes(d.len() as u64));
        g.bench_with_input(BenchmarkId::new("shingles", name), &rows, |b, rows| {
            b.iter(|| {
                let mut acc = 0u64;
                for i in 0..rows.len() {
                    row_shingles(rows, i, &opts, |h| acc ^= h);
                }
                black_box(acc)
            })
        });
        g.bench_with_input(BenchmarkId::new("signature", name), &rows, |b, rows| {
            let mut sig = vec![0u32; 128];
            b.iter(|| {
                for i in 0..rows.len() {
                    m.clear(&mut sig);
                    row_shingles(rows, i, &opts, |h| m.push(&mut sig, h));
                    m.densify(&mut sig);
                    black_box(&sig);
                }
            })
        });
    }
    g.finish();
}

fn bench_pipeline(c: &mut Criterion) {
    let mut g = c.benchmark_group("dedup");
    g.sample_size(10);
    // mixed scripts, every fifth row an edited copy of an earlier one
    let texts: Vec<String> = (0..ROWS)
        .map(|i| {
            if i % 5 == 4 {
                text((i % 4) as u8, i - 4).replacen("the", "a", 1)
            } else {
                text((i % 4) as u8, i)
            }
        })
        .collect();
    let mut b = StrColumnBuilder::default();
    texts.iter().for_each(|t| b.push(t));
    let (d, o) = b.finish();
    let r: Vec<i64> = (0..=ROWS as i64).collect();
    let rows = Rows::new(vec![
        Field::single(Messages::new(&d, &o).unwrap(), &r).unwrap()
    ])
    .unwrap();
    g.throughput(Throughput::Bytes(d.len() as u64));
    g.bench_function("exact+near", |bch| {
        bch.iter(|| black_box(dedup(&rows, None, None, &DedupOptions::default())))
    });
    g.finish();
}

criterion_group!(benches, bench_normalize, bench_minhash, bench_pipeline);
criterion_main!(benches);
