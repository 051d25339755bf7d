use super::*;
use half::{bf16, f16};

/// splitmix64 + Box–Muller: reproducible normals without a rand dependency.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    fn matrix(&mut self, n: usize, d: usize) -> Vec<f64> {
        (0..n * d).map(|_| self.normal()).collect()
    }
}

/// Row-major `n × d` matrix `Q diag(s) H`, Q with orthonormal columns, H a
/// Householder reflection: singular values exactly `s` (up to rounding).
fn known_spectrum(rng: &mut Rng, n: usize, s: &[f64]) -> Vec<f64> {
    let d = s.len();
    // Gram–Schmidt on d random columns of length n (column-major q).
    let mut q = vec![0.0; n * d];
    for j in 0..d {
        let mut v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        for _ in 0..2 {
            for k in 0..j {
                let dot: f64 = (0..n).map(|i| v[i] * q[k * n + i]).sum();
                (0..n).for_each(|i| v[i] -= dot * q[k * n + i]);
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        (0..n).for_each(|i| q[j * n + i] = v[i] / norm);
    }
    let h: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
    let hh: f64 = h.iter().map(|x| x * x).sum();
    let mut x = vec![0.0; n * d];
    for i in 0..n {
        let row: Vec<f64> = (0..d).map(|j| q[j * n + i] * s[j]).collect();
        let dot: f64 = row.iter().zip(&h).map(|(a, b)| a * b).sum();
        for j in 0..d {
            x[i * d + j] = row[j] - 2.0 * dot / hh * h[j];
        }
    }
    x
}

fn naive_scatter(x: &[f64], n: usize, d: usize, center: bool) -> Vec<f64> {
    let mut mean = vec![0.0; d];
    if center {
        for i in 0..n {
            (0..d).for_each(|j| mean[j] += x[i * d + j] / n as f64);
        }
    }
    let mut g = vec![0.0; d * d];
    for i in 0..n {
        for a in 0..d {
            for b in 0..d {
                g[a * d + b] += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]);
            }
        }
    }
    g
}

fn opts(precision: Precision, block_rows: usize) -> GramOptions {
    GramOptions {
        precision,
        block_rows,
        ..Default::default()
    }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn scatter_matches_naive_across_tiles_and_blocks() {
    let mut rng = Rng(1);
    let (n, d) = (150, 270); // d > tile width, n spans several blocks
    let mut x = rng.matrix(n, d);
    x.iter_mut()
        .enumerate()
        .for_each(|(k, v)| *v += 5.0 + (k % d) as f64 * 0.01); // a common offset
    for center in [true, false] {
        let want = naive_scatter(&x, n, d, center);
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (p, tol) in [(Precision::Exact, 1e-12), (Precision::Fast, 1e-5)] {
            let mut acc = GramAccumulator::new(d, opts(p, 64)).unwrap();
            for part in x.chunks(d * 70) {
                acc.update(&Chunk::f64(part, d).unwrap()).unwrap();
            }
            assert_eq!(acc.n(), n as u64);
            let got = acc.scatter(center).unwrap();
            let err = max_abs_diff(&got, &want) / scale;
            assert!(err < tol, "{p:?} center={center}: rel err {err}");
        }
    }
}

#[test]
fn known_singular_values() {
    let mut rng = Rng(2);
    let s: Vec<f64> = (0..40).map(|i| 10.0 * 0.8f64.powi(i)).collect();
    let x = known_spectrum(&mut rng, 200, &s);
    for p in [Precision::Exact, Precision::Fast] {
        let mut acc = GramAccumulator::new(40, opts(p, 0)).unwrap();
        acc.update(&Chunk::f64(&x, 40).unwrap()).unwrap();
        let sp = acc.finalize(Some(false)).unwrap();
        let tol = if p == Precision::Exact { 1e-6 } else { 1e-3 };
        for (a, b) in sp.singular_values.iter().zip(&s) {
            assert!((a - b).abs() < tol * s[0], "{p:?}: {a} vs {b}");
        }
        let total: f64 = s.iter().map(|v| v * v).sum();
        assert!((sp.top1_share - s[0] * s[0] / total).abs() < 1e-6);
        assert!((sp.stable_rank - total / (s[0] * s[0])).abs() < 1e-4);
        let ssum: f64 = s.iter().sum();
        let h: f64 = s.iter().map(|v| v / ssum).map(|p| -p * p.ln()).sum();
        assert!((sp.effective_rank - h.exp()).abs() < 1e-4);
        assert!((sp.top_k_share(40) - 1.0).abs() < 1e-12);
    }
}

#[test]
fn deterministic_for_any_thread_count() {
    let mut rng = Rng(3);
    let (n, d) = (300, 270);
    let x: Vec<f32> = rng.matrix(n, d).into_iter().map(|v| v as f32).collect();
    let run = |threads: usize, p: Precision| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut acc = GramAccumulator::new(d, opts(p, 128)).unwrap();
            acc.update(&Chunk::f32(&x, d).unwrap()).unwrap();
            let sp = acc.finalize(None).unwrap();
            (acc.scatter(true).unwrap(), sp.singular_values)
        })
    };
    for p in [Precision::Fast, Precision::Exact] {
        let base = run(1, p);
        for t in [2, 3, 5] {
            assert!(run(t, p) == base, "{p:?}: {t} threads differ from 1");
        }
    }
}

#[test]
fn merge_equals_single_pass() {
    let mut rng = Rng(4);
    let (n, d) = (400, 33);
    let mut x = rng.matrix(n, d);
    x[..d * 200].iter_mut().for_each(|v| *v += 3.0); // shards with different means
    let mut all = GramAccumulator::new(d, opts(Precision::Exact, 0)).unwrap();
    all.update(&Chunk::f64(&x, d).unwrap()).unwrap();
    let mut a = GramAccumulator::new(d, opts(Precision::Exact, 0)).unwrap();
    let mut b = a.clone();
    let empty = a.clone();
    a.update(&Chunk::f64(&x[..d * 150], d).unwrap()).unwrap();
    b.update(&Chunk::f64(&x[d * 150..], d).unwrap()).unwrap();
    a.merge(&b).unwrap();
    a.merge(&empty).unwrap();
    assert_eq!(a.n(), n as u64);
    for center in [true, false] {
        let (ga, gb) = (a.scatter(center).unwrap(), all.scatter(center).unwrap());
        let scale = gb.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(max_abs_diff(&ga, &gb) / scale < 1e-12);
    }
    let mut e = empty.clone();
    e.merge(&all).unwrap();
    assert_eq!(e.scatter(true).unwrap(), all.scatter(true).unwrap());
    assert!(max_abs_diff(&a.mean().unwrap(), &all.mean().unwrap()) < 1e-12);
}

#[test]
fn half_inputs_match_f32() {
    let mut rng = Rng(5);
    let (n, d) = (64, 24);
    let x = rng.matrix(n, d);
    let h: Vec<f16> = x.iter().map(|v| f16::from_f64(*v)).collect();
    let b: Vec<bf16> = x.iter().map(|v| bf16::from_f64(*v)).collect();
    let hx: Vec<f64> = h.iter().map(|v| v.to_f64()).collect();
    let bx: Vec<f64> = b.iter().map(|v| v.to_f64()).collect();
    for (rows, widened) in [(Rows::F16(&h), hx), (Rows::Bf16(&b), bx)] {
        let mut acc = GramAccumulator::new(d, opts(Precision::Exact, 0)).unwrap();
        acc.update(&Chunk::new(rows, n, d).unwrap()).unwrap();
        let mut want = GramAccumulator::new(d, opts(Precision::Exact, 0)).unwrap();
        want.update(&Chunk::f64(&widened, d).unwrap()).unwrap();
        assert_eq!(acc.scatter(true).unwrap(), want.scatter(true).unwrap());
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut acc = GramAccumulator::new(4, GramOptions::default()).unwrap();
    assert!(acc.finalize(None).is_err());
    assert!(acc.update(&Chunk::f64(&[1.0; 6], 3).unwrap()).is_err());
    assert!(Chunk::new(Rows::F64(&[1.0; 7]), 2, 4).is_err());
    assert!(GramAccumulator::new(0, GramOptions::default()).is_err());
    // Skip mode: NaN/Inf rows are counted and left out.
    let rows = [
        1.0,
        2.0,
        3.0,
        4.0,
        f64::NAN,
        0.0,
        0.0,
        0.0,
        2.0,
        1.0,
        0.0,
        5.0,
        f64::INFINITY,
        1.0,
        1.0,
        1.0,
    ];
    acc.update(&Chunk::f64(&rows, 4).unwrap()).unwrap();
    assert_eq!((acc.n(), acc.skipped()), (2, 2));
    // Error mode: the chunk is rejected whole and the state is unchanged.
    let mut strict = GramAccumulator::new(
        4,
        GramOptions {
            nonfinite: NonFinite::Error,
            ..Default::default()
        },
    )
    .unwrap();
    strict.update(&Chunk::f64(&rows[..4], 4).unwrap()).unwrap();
    let before = strict.scatter(false).unwrap();
    let err = strict.update(&Chunk::f64(&rows, 4).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .contains("row 1 of this chunk (row 2 overall)"),
        "{err}"
    );
    assert_eq!((strict.n(), strict.scatter(false).unwrap()), (1, before));
    // One row: no centred spectrum; all-NaN first chunk: still empty.
    assert!(strict.finalize(Some(true)).is_err());
    let mut only_nan = GramAccumulator::new(2, GramOptions::default()).unwrap();
    only_nan
        .update(&Chunk::f64(&[f64::NAN, 1.0], 2).unwrap())
        .unwrap();
    let msg = only_nan.finalize(None).unwrap_err().to_string();
    assert!(msg.contains("1 rows skipped"), "{msg}");
    assert!(acc
        .merge(&GramAccumulator::new(5, GramOptions::default()).unwrap())
        .is_err());
}

#[test]
fn cka_identities() {
    let mut rng = Rng(6);
    let (n, d) = (300, 20);
    let x = rng.matrix(n, d);
    let h: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
    let hh: f64 = h.iter().map(|v| v * v).sum();
    // y = 3 · x H (orthogonal H, isotropic scale) → CKA 1.
    let y: Vec<f64> = x
        .chunks(d)
        .flat_map(|r| {
            let dot: f64 = r.iter().zip(&h).map(|(a, b)| a * b).sum();
            r.iter()
                .zip(&h)
                .map(move |(a, b)| 3.0 * (a - 2.0 * dot / hh * b))
                .collect::<Vec<_>>()
        })
        .collect();
    let z = rng.matrix(n, 7);
    for p in [Precision::Exact, Precision::Fast] {
        let o = opts(p, 50);
        let mut same = CrossAccumulator::new(d, d, o).unwrap();
        same.update(&Chunk::f64(&x, d).unwrap(), &Chunk::f64(&x, d).unwrap())
            .unwrap();
        let r = same.finalize().unwrap();
        assert!((r.cka - 1.0).abs() < 1e-6 && (r.mean_cosine.unwrap() - 1.0).abs() < 1e-12);
        let mut rot = CrossAccumulator::new(d, d, o).unwrap();
        let mut half = CrossAccumulator::new(d, d, o).unwrap();
        rot.update(
            &Chunk::f64(&x[..d * 100], d).unwrap(),
            &Chunk::f64(&y[..d * 100], d).unwrap(),
        )
        .unwrap();
        half.update(
            &Chunk::f64(&x[d * 100..], d).unwrap(),
            &Chunk::f64(&y[d * 100..], d).unwrap(),
        )
        .unwrap();
        rot.merge(&half).unwrap();
        assert!((rot.finalize().unwrap().cka - 1.0).abs() < 1e-6);
        let mut unrelated = CrossAccumulator::new(d, 7, o).unwrap();
        unrelated
            .update(&Chunk::f64(&x, d).unwrap(), &Chunk::f64(&z, 7).unwrap())
            .unwrap();
        let r = unrelated.finalize().unwrap();
        assert!(r.cka < 0.2 && r.mean_cosine.is_none(), "{r:?}");
    }
    let mut c = CrossAccumulator::new(3, 3, GramOptions::default()).unwrap();
    assert!(c
        .update(
            &Chunk::f64(&[1.0; 6], 3).unwrap(),
            &Chunk::f64(&[1.0; 3], 3).unwrap()
        )
        .is_err());
    assert!(c.finalize().is_err());
}

#[test]
fn quantiles_and_wasserstein() {
    let v = [3.0, 1.0, 2.0, 10.0];
    let w = [1.0, 2.0, 0.0, 3.0];
    // Expanded sample: 1 1 3 10 10 10
    let q = weighted_quantiles(&v, Some(&w), &[0.0, 0.5, 0.9, 1.0]).unwrap();
    let expanded = [1.0, 1.0, 3.0, 10.0, 10.0, 10.0];
    let np_linear = |q: f64| {
        let h = q * 5.0;
        let lo = h.floor() as usize;
        expanded[lo] + (h - lo as f64) * (expanded[(lo + 1).min(5)] - expanded[lo])
    };
    for (got, qq) in q.iter().zip([0.0, 0.5, 0.9, 1.0]) {
        assert!((got - np_linear(qq)).abs() < 1e-12, "{qq}: {got}");
    }
    assert_eq!(wasserstein1(&[0.0], None, &[2.5], None).unwrap(), 2.5);
    assert!(
        (wasserstein1(&[0.0, 1.0], None, &[0.0, 1.0], Some(&[1.0, 3.0])).unwrap() - 0.25).abs()
            < 1e-12
    );
    assert!(wasserstein1(&[], None, &[1.0], None).is_err());

    let mut acc = NormAccumulator::new(NonFinite::Skip);
    let rows = [3.0f32, 4.0, 0.0, 1.0, f32::NAN, 1.0, 6.0, 8.0];
    acc.update(&Chunk::f32(&rows, 2).unwrap(), &[0, 0, 1, 1], None)
        .unwrap();
    let rep = acc.finalize(&[0.5], 2, None).unwrap();
    let g0 = rep.groups[0].as_ref().unwrap();
    assert_eq!((g0.count, g0.mean, g0.quantiles[0]), (2, 3.0, 3.0));
    let g1 = rep.groups[1].as_ref().unwrap();
    assert_eq!((g1.count, g1.skipped, g1.mean), (1, 1, 10.0));
    assert_eq!(rep.edges, vec![1.0, 5.5, 10.0]);
    assert_eq!(g0.hist, vec![2.0, 0.0]);
    assert_eq!(acc.distance(0, 1).unwrap(), 7.0);
    assert!(acc
        .update(&Chunk::f32(&rows, 2).unwrap(), &[0], None)
        .is_err());
}

#[test]
fn blocks_split_a_chunk_evenly() {
    for &(rows, max) in &[
        (0, 8),
        (1, 8),
        (8, 8),
        (9, 8),
        (4096, 682),
        (4096, 2048),
        (5000, 2048),
    ] {
        let b: Vec<(usize, usize)> = gram::block_bounds(rows, max).collect();
        assert_eq!(b.len(), rows.div_ceil(max), "rows={rows} max={max}");
        let mut next = 0;
        for &(r0, r1) in &b {
            assert_eq!(r0, next);
            assert!(r1 > r0 && r1 - r0 <= max);
            next = r1;
        }
        assert_eq!(next, rows);
        let sizes: Vec<usize> = b.iter().map(|(r0, r1)| r1 - r0).collect();
        if let (Some(lo), Some(hi)) = (sizes.iter().min(), sizes.iter().max()) {
            assert!(hi - lo <= 1, "uneven blocks {sizes:?}");
        }
    }
}

fn arg_name(e: Error) -> (&'static str, String) {
    match e {
        Error::Argument { name, message } => (name, message),
        other => panic!("expected an argument error, got {other:?}"),
    }
}

#[test]
fn absurd_sizes_are_argument_errors() {
    for dim in [MAX_DIM + 1, 1_000_000_000_000, usize::MAX] {
        let (name, m) = arg_name(GramAccumulator::new(dim, GramOptions::default()).unwrap_err());
        assert_eq!(name, "dim");
        assert!(m.contains(&MAX_DIM.to_string()), "{m}");
    }
    let o = GramOptions::default();
    assert_eq!(
        arg_name(CrossAccumulator::new(0, 4, o).unwrap_err()).0,
        "dim_x"
    );
    assert_eq!(
        arg_name(CrossAccumulator::new(4, usize::MAX, o).unwrap_err()).0,
        "dim_y"
    );

    let mut acc = NormAccumulator::new(NonFinite::Skip);
    // An id that would size a table of 4 billion groups: refused, and nothing is added.
    let (name, m) = arg_name(
        acc.add_values(&[1.0, 2.0], &[0, u32::MAX], None)
            .unwrap_err(),
    );
    assert_eq!(name, "groups");
    assert!(m.contains("groups[1] is 4294967295"), "{m}");
    assert_eq!(acc.num_groups(), 0);
    let c = Chunk::f32(&[1.0, 2.0], 2).unwrap();
    assert!(acc.update(&c, &[MAX_GROUPS as u32], None).is_err());
    acc.add_values(&[1.0, 2.0, 3.0], &[0, 1, (MAX_GROUPS - 1) as u32], None)
        .unwrap();
    assert_eq!(acc.num_groups(), MAX_GROUPS);

    for bins in [0, MAX_BINS + 1, 1_000_000_000_000, usize::MAX] {
        let (name, m) = arg_name(acc.finalize(&[0.5], bins, None).unwrap_err());
        assert_eq!(name, "bins");
        assert!(m.contains("supported range 1 to"), "{m}");
    }
    let rep = acc.finalize(&[0.5], 1000, None).unwrap();
    assert_eq!(rep.edges.len(), 1001);
    assert_eq!(rep.groups.iter().flatten().count(), 3);

    // Enough non-empty groups that the bin limit alone would mean gigabytes of histograms.
    let groups = MAX_HIST_CELLS / MAX_BINS + 1;
    let mut many = NormAccumulator::new(NonFinite::Skip);
    let ids: Vec<u32> = (0..groups as u32).collect();
    many.add_values(&vec![1.0; groups], &ids, None).unwrap();
    let (name, m) = arg_name(many.finalize(&[0.5], MAX_BINS, None).unwrap_err());
    assert_eq!(name, "bins");
    assert!(m.contains("histogram cells"), "{m}");
    assert!(many.finalize(&[0.5], 1024, None).is_ok());
}

#[test]
fn quantiles_of_non_finite_values_are_errors() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let (name, m) = arg_name(weighted_quantiles(&[1.0, bad, 3.0], None, &[0.5]).unwrap_err());
        assert_eq!(name, "values");
        assert!(m.contains("values[1]") && m.contains("finite"), "{m}");
    }
    // even where numpy would not look at the value (zero weight, q = 0)
    assert!(weighted_quantiles(&[1.0, f64::NAN], Some(&[1.0, 0.0]), &[0.0]).is_err());
    assert_eq!(
        weighted_quantiles(&[3.0, 1.0, 2.0], None, &[0.0, 0.5, 1.0]).unwrap(),
        vec![1.0, 2.0, 3.0]
    );
}

// --- the small-n path (rows kept while n ≤ d) --------------------------------------------

fn opts_n(precision: Precision, small_n: bool) -> GramOptions {
    GramOptions {
        precision,
        small_n,
        block_rows: 32,
        ..Default::default()
    }
}

/// Row-major `n × d` matrix with singular values exactly `s` (`s.len() = min(n, d)`).
fn known_any(rng: &mut Rng, n: usize, d: usize, s: &[f64]) -> Vec<f64> {
    if n >= d {
        return known_spectrum(rng, n, s);
    }
    // A d × n matrix with singular values s, transposed.
    let t = known_spectrum(rng, d, s);
    let mut x = vec![0.0; n * d];
    for i in 0..d {
        for j in 0..n {
            x[j * d + i] = t[i * n + j];
        }
    }
    x
}

fn spectrum_of(x: &[f64], d: usize, o: GramOptions, center: bool) -> (bool, Spectrum) {
    let mut acc = GramAccumulator::new(d, o).unwrap();
    acc.update(&Chunk::f64(x, d).unwrap()).unwrap();
    (acc.keeps_rows(), acc.finalize(Some(center)).unwrap())
}

#[test]
fn small_n_singular_values_are_exact() {
    let mut rng = Rng(11);
    let d = 50;
    for n in [2, 7, 37, 49, 50] {
        let s: Vec<f64> = (0..n)
            .map(|i| 20.0 * 0.85f64.powi(i as i32) + 0.1)
            .collect();
        let x = known_any(&mut rng, n, d, &s);
        for (p, tol) in [(Precision::Exact, 1e-10), (Precision::Fast, 1e-6)] {
            let (kept, sp) = spectrum_of(&x, d, opts_n(p, true), false);
            assert!(kept, "n={n} ≤ d={d} keeps its rows");
            assert_eq!(sp.singular_values.len(), n);
            assert_eq!(sp.eigenvalues.len(), d, "eigenvalues keep all d entries");
            assert!(sp.eigenvalues[n..].iter().all(|v| *v == 0.0));
            for (a, b) in sp.singular_values.iter().zip(&s) {
                assert!(
                    (a * a - b * b).abs() <= tol * s[0] * s[0],
                    "{p:?} n={n}: {a} vs {b}"
                );
            }
            let total: f64 = s.iter().map(|v| v * v).sum();
            assert!((sp.top1_share - s[0] * s[0] / total).abs() < 1e-6);
        }
    }
}

#[test]
fn small_n_matches_the_dense_path_centred_and_not() {
    let mut rng = Rng(12);
    let d = 60;
    for n in [3, 20, 59, 60, 61, 130] {
        let mut x = rng.matrix(n, d);
        // a large common offset and decaying scales, like hidden states
        x.iter_mut()
            .enumerate()
            .for_each(|(k, v)| *v = *v * (1.0 + (k % d) as f64 * 0.05) + 30.0);
        for center in [true, false] {
            let (kept, small) = spectrum_of(&x, d, opts_n(Precision::Exact, true), center);
            let (dense_kept, dense) = spectrum_of(&x, d, opts_n(Precision::Exact, false), center);
            assert_eq!(kept, n <= d, "n={n}: rows kept exactly while n ≤ d");
            assert!(!dense_kept);
            let s1 = dense.eigenvalues[0];
            let err = max_abs_diff(&small.eigenvalues, &dense.eigenvalues) / s1;
            assert!(err < 1e-10, "n={n} center={center}: {err}");
            assert!(
                (small.effective_rank - dense.effective_rank).abs() < 1e-6 * dense.effective_rank
            );
            assert_eq!(small.singular_values.len(), dense.singular_values.len());
            let (a, b) = (
                GramAccumulator::new(d, opts_n(Precision::Exact, true)).and_then(|mut a| {
                    a.update(&Chunk::f64(&x, d)?)?;
                    Ok((a.scatter(center)?, a.mean()?))
                }),
                GramAccumulator::new(d, opts_n(Precision::Exact, false)).and_then(|mut a| {
                    a.update(&Chunk::f64(&x, d)?)?;
                    Ok((a.scatter(center)?, a.mean()?))
                }),
            );
            let ((sa, ma), (sb, mb)) = (a.unwrap(), b.unwrap());
            let scale = sb.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(max_abs_diff(&sa, &sb) / scale < 1e-12);
            assert!(max_abs_diff(&ma, &mb) < 1e-12);
        }
    }
}

#[test]
fn switch_happens_past_the_width() {
    let mut rng = Rng(13);
    let d = 40;
    let x = rng.matrix(d + 1, d);
    let mut acc = GramAccumulator::new(d, opts_n(Precision::Exact, true)).unwrap();
    acc.update(&Chunk::f64(&x[..d * 25], d).unwrap()).unwrap();
    acc.update(&Chunk::f64(&x[d * 25..d * d], d).unwrap())
        .unwrap();
    assert!(
        acc.keeps_rows() && acc.n() == d as u64,
        "n = d still keeps its rows"
    );
    let at_d = acc.finalize(None).unwrap();
    let (_, want_d) = spectrum_of(&x[..d * d], d, opts_n(Precision::Exact, false), true);
    assert!(max_abs_diff(&at_d.eigenvalues, &want_d.eigenvalues) / want_d.eigenvalues[0] < 1e-10);
    acc.update(&Chunk::f64(&x[d * d..], d).unwrap()).unwrap();
    assert!(!acc.keeps_rows() && acc.n() == d as u64 + 1);
    let past = acc.finalize(None).unwrap();
    let (_, want) = spectrum_of(&x, d, opts_n(Precision::Exact, false), true);
    assert!(max_abs_diff(&past.eigenvalues, &want.eigenvalues) / want.eigenvalues[0] < 1e-10);
    assert_eq!(past.singular_values.len(), d);
}

#[test]
fn merges_of_small_and_large_groups_equal_one_pass() {
    let mut rng = Rng(14);
    let d = 40;
    let sizes = [10usize, 25, 60, 3, 30, 1];
    let total: usize = sizes.iter().sum();
    let mut x = rng.matrix(total, d);
    x[..d * 35].iter_mut().for_each(|v| *v += 4.0); // shards with different means
    let mut shards = Vec::new();
    let mut r = 0;
    for &k in &sizes {
        let mut a = GramAccumulator::new(d, opts_n(Precision::Exact, true)).unwrap();
        a.update(&Chunk::f64(&x[r * d..(r + k) * d], d).unwrap())
            .unwrap();
        assert_eq!(a.keeps_rows(), k <= d);
        shards.push(a);
        r += k;
    }
    let mut whole = GramAccumulator::new(d, opts_n(Precision::Exact, false)).unwrap();
    whole.update(&Chunk::f64(&x, d).unwrap()).unwrap();
    let want = whole.scatter(true).unwrap();
    let want_raw = whole.scatter(false).unwrap();
    let scale = want_raw.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    // Several merge orders: small into small (fits, then overflows), large into small,
    // small into large, large into large.
    let orders: [&[usize]; 4] = [
        &[0, 1, 2, 3, 4, 5],
        &[5, 3, 0, 4, 1, 2],
        &[2, 0, 1, 3, 4, 5],
        &[0, 4, 1, 5, 3, 2],
    ];
    for order in orders {
        let mut m = GramAccumulator::new(d, opts_n(Precision::Exact, true)).unwrap();
        let mut kept_until = Vec::new();
        for &i in order {
            m.merge(&shards[i]).unwrap();
            kept_until.push(m.keeps_rows());
        }
        assert_eq!(m.n(), total as u64);
        assert!(!m.keeps_rows(), "{order:?}: past d rows in all");
        for (c, w) in [(true, &want), (false, &want_raw)] {
            let got = m.scatter(c).unwrap();
            assert!(
                max_abs_diff(&got, w) / scale < 1e-12,
                "{order:?} center={c}"
            );
        }
        let sp = m.finalize(None).unwrap();
        let ref_sp = whole.finalize(None).unwrap();
        assert!(max_abs_diff(&sp.eigenvalues, &ref_sp.eigenvalues) / ref_sp.eigenvalues[0] < 1e-10);
        assert!(max_abs_diff(&m.mean().unwrap(), &whole.mean().unwrap()) < 1e-12);
    }
    // Two small groups that fit stay small; two that together exceed d switch.
    let mut a = shards[0].clone();
    a.merge(&shards[1]).unwrap();
    assert!(a.keeps_rows() && a.n() == 35);
    a.merge(&shards[4]).unwrap();
    assert!(!a.keeps_rows() && a.n() == 65);
    let mut b = GramAccumulator::new(d, opts_n(Precision::Exact, false)).unwrap();
    b.update(&Chunk::f64(&x[..35 * d], d).unwrap()).unwrap();
    b.update(&Chunk::f64(&x[98 * d..128 * d], d).unwrap())
        .unwrap();
    let (ga, gb) = (a.scatter(true).unwrap(), b.scatter(true).unwrap());
    assert!(max_abs_diff(&ga, &gb) / scale < 1e-12);
    // Merging an empty accumulator changes nothing; a small one into an empty one copies it.
    let empty = GramAccumulator::new(d, opts_n(Precision::Exact, true)).unwrap();
    let mut c = shards[1].clone();
    c.merge(&empty).unwrap();
    let mut e = empty.clone();
    e.merge(&shards[1]).unwrap();
    assert_eq!(c.scatter(true).unwrap(), shards[1].scatter(true).unwrap());
    assert_eq!(e.scatter(true).unwrap(), shards[1].scatter(true).unwrap());
}

#[test]
fn small_n_is_deterministic_for_any_thread_count() {
    let mut rng = Rng(15);
    // n above the 256-column tile width, so the n × n Gram runs in parallel tiles
    let (n, d) = (300, 420);
    let x: Vec<f32> = rng.matrix(n, d).into_iter().map(|v| v as f32).collect();
    let y: Vec<f32> = rng.matrix(n, 280).into_iter().map(|v| v as f32).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut acc = GramAccumulator::new(d, GramOptions::default()).unwrap();
            acc.update(&Chunk::f32(&x, d).unwrap()).unwrap();
            assert!(acc.keeps_rows());
            let mut c = CrossAccumulator::new(d, 280, GramOptions::default()).unwrap();
            c.update(&Chunk::f32(&x, d).unwrap(), &Chunk::f32(&y, 280).unwrap())
                .unwrap();
            assert!(c.keeps_rows());
            let (sx, sy) = c.spectra(None).unwrap();
            (
                acc.finalize(None).unwrap().singular_values,
                acc.scatter(false).unwrap(),
                c.finalize().unwrap().cka,
                sx.singular_values,
                sy.singular_values, // n > dy: this side's spectrum comes from its d × d Gram
            )
        })
    };
    let base = run(1);
    for t in [2, 3, 5] {
        assert!(run(t) == base, "{t} threads differ from 1");
    }
}

/// Row-major product `x · m` of `n × d` and `d × k`.
fn matmul(x: &[f64], n: usize, d: usize, m: &[f64], k: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * k];
    for i in 0..n {
        for j in 0..k {
            out[i * k + j] = (0..d).map(|t| x[i * d + t] * m[t * k + j]).sum();
        }
    }
    out
}

#[test]
fn small_n_cka_matches_the_dense_path() {
    let mut rng = Rng(16);
    let (dx, dy) = (30, 45);
    let n = 44; // ≤ max(dx, dy) but > dx: rows kept, x's spectrum from its 30 × 30 Gram
    let x = rng.matrix(n, dx);
    let w = rng.matrix(dx, dy);
    let mut y = matmul(&x, n, dx, &w, dy);
    let noise = rng.matrix(n, dy);
    y.iter_mut()
        .zip(&noise)
        .for_each(|(a, b)| *a = a.tanh() + 0.3 * b + 2.0);
    for p in [Precision::Exact, Precision::Fast] {
        let tol = if p == Precision::Exact { 1e-10 } else { 1e-6 };
        let run = |small: bool| {
            let mut c = CrossAccumulator::new(dx, dy, opts_n(p, small)).unwrap();
            c.update(&Chunk::f64(&x, dx).unwrap(), &Chunk::f64(&y, dy).unwrap())
                .unwrap();
            c
        };
        let (small, dense) = (run(true), run(false));
        assert!(small.keeps_rows() && !dense.keeps_rows());
        let (a, b) = (small.finalize().unwrap(), dense.finalize().unwrap());
        assert!((a.cka - b.cka).abs() < tol, "{p:?}: {} vs {}", a.cka, b.cka);
        assert!(a.cka > 0.05 && a.cka < 0.99, "{}", a.cka);
        assert!(a.mean_cosine.is_none());
        let (sx, sy) = small.spectra(None).unwrap();
        let (dxs, dys) = dense.spectra(None).unwrap();
        for (u, v) in [(&sx, &dxs), (&sy, &dys)] {
            assert!(max_abs_diff(&u.eigenvalues, &v.eigenvalues) / v.eigenvalues[0] < tol * 10.0);
        }
    }
    // Equal widths: cosine and CKA of identical and rotated rows.
    let mut same = CrossAccumulator::new(dx, dx, GramOptions::default()).unwrap();
    let c = Chunk::f64(&x[..20 * dx], dx).unwrap();
    same.update(&c, &c).unwrap();
    let r = same.finalize().unwrap();
    assert!(same.keeps_rows());
    assert!((r.cka - 1.0).abs() < 1e-9 && (r.mean_cosine.unwrap() - 1.0).abs() < 1e-12);
}

#[test]
fn cross_merges_of_small_and_large_equal_one_pass() {
    let mut rng = Rng(17);
    let d = 24;
    let sizes = [5usize, 12, 40, 2, 20];
    let total: usize = sizes.iter().sum();
    let x = rng.matrix(total, d);
    let mut y = rng.matrix(total, d);
    y.iter_mut()
        .zip(&x)
        .for_each(|(b, a)| *b = 0.5 * *b + a + 1.0);
    let mut whole = CrossAccumulator::new(d, d, opts_n(Precision::Exact, false)).unwrap();
    whole
        .update(&Chunk::f64(&x, d).unwrap(), &Chunk::f64(&y, d).unwrap())
        .unwrap();
    let want = whole.finalize().unwrap();
    let mut shards = Vec::new();
    let mut r = 0;
    for &k in &sizes {
        let mut c = CrossAccumulator::new(d, d, opts_n(Precision::Exact, true)).unwrap();
        c.update(
            &Chunk::f64(&x[r * d..(r + k) * d], d).unwrap(),
            &Chunk::f64(&y[r * d..(r + k) * d], d).unwrap(),
        )
        .unwrap();
        assert_eq!(c.keeps_rows(), k <= d);
        shards.push(c);
        r += k;
    }
    for order in [
        [0, 1, 2, 3, 4],
        [2, 0, 1, 3, 4],
        [4, 1, 0, 3, 2],
        [3, 0, 4, 1, 2],
    ] {
        let mut m = CrossAccumulator::new(d, d, opts_n(Precision::Exact, true)).unwrap();
        for i in order {
            m.merge(&shards[i]).unwrap();
        }
        let got = m.finalize().unwrap();
        assert_eq!(
            (got.n, m.x().n(), m.y().n()),
            (total as u64, total as u64, total as u64)
        );
        assert!(
            (got.cka - want.cka).abs() < 1e-10,
            "{order:?}: {} vs {}",
            got.cka,
            want.cka
        );
        let (mc, wc) = (got.mean_cosine.unwrap(), want.mean_cosine.unwrap());
        assert!((mc - wc).abs() < 1e-12);
        let (a, b) = (
            m.y().scatter(true).unwrap(),
            whole.y().scatter(true).unwrap(),
        );
        let scale = b.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        assert!(max_abs_diff(&a, &b) / scale < 1e-12);
    }
    // Two small shards that fit stay small, and match the dense path at that size.
    let mut a = shards[0].clone();
    a.merge(&shards[1]).unwrap();
    assert!(a.keeps_rows() && a.n() == 17);
    let mut b = CrossAccumulator::new(d, d, opts_n(Precision::Exact, false)).unwrap();
    b.update(
        &Chunk::f64(&x[..17 * d], d).unwrap(),
        &Chunk::f64(&y[..17 * d], d).unwrap(),
    )
    .unwrap();
    assert!((a.finalize().unwrap().cka - b.finalize().unwrap().cka).abs() < 1e-10);
}

#[test]
fn small_n_bad_input_is_an_error_not_a_panic() {
    let d = 8;
    let mut acc = GramAccumulator::new(d, GramOptions::default()).unwrap();
    assert!(acc.finalize(None).is_err() && acc.mean().is_err() && acc.scatter(true).is_err());
    let mut rows = vec![1.0f64; 4 * d];
    rows[d + 3] = f64::NAN;
    rows[2 * d] = f64::INFINITY;
    rows[3 * d..].iter_mut().for_each(|v| *v = 2.0);
    acc.update(&Chunk::f64(&rows, d).unwrap()).unwrap();
    assert!(acc.keeps_rows() && (acc.n(), acc.skipped()) == (2, 2));
    let sp = acc.finalize(Some(true)).unwrap();
    // rows [1; 8] and [2; 8]: one direction, centred σ₁² = 2 · 8 · 0.25
    assert!((sp.singular_values[0].powi(2) - 4.0).abs() < 1e-12 && sp.top1_share == 1.0);
    let mut strict = GramAccumulator::new(
        d,
        GramOptions {
            nonfinite: NonFinite::Error,
            ..Default::default()
        },
    )
    .unwrap();
    strict.update(&Chunk::f64(&rows[..d], d).unwrap()).unwrap();
    let err = strict.update(&Chunk::f64(&rows, d).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .contains("row 1 of this chunk (row 2 overall)"),
        "{err}"
    );
    assert_eq!(strict.n(), 1);
    assert!(strict
        .finalize(Some(true))
        .unwrap_err()
        .to_string()
        .contains("at least 2 rows"));
    assert!(
        (strict.finalize(Some(false)).unwrap().singular_values[0] - (d as f64).sqrt()).abs()
            < 1e-12
    );
    let mut same = GramAccumulator::new(d, GramOptions::default()).unwrap();
    same.update(&Chunk::f64(&[3.0; 40], d).unwrap()).unwrap();
    assert!(same
        .finalize(None)
        .unwrap_err()
        .to_string()
        .contains("identical"));
    let mut c = CrossAccumulator::new(d, d, GramOptions::default()).unwrap();
    let two: Vec<f64> = [1.0; 8].iter().chain(&[2.0; 8]).copied().collect();
    c.update(
        &Chunk::f64(&two, d).unwrap(),
        &Chunk::f64(&[5.0; 16], d).unwrap(),
    )
    .unwrap();
    assert!(c.keeps_rows());
    assert!(c.finalize().unwrap_err().to_string().contains("identical"));
    assert!(c
        .merge(&CrossAccumulator::new(d, d + 1, GramOptions::default()).unwrap())
        .is_err());
}
