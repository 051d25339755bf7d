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
