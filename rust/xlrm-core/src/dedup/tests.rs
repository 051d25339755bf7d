use super::*;
use crate::column::StrColumnBuilder;

/// Owned buffers for a table of rows, each row a list of fields, each field a list of messages.
struct Table {
    fields: Vec<(Vec<u8>, Vec<i64>, Vec<i64>)>,
}

impl Table {
    fn new(rows: &[Vec<Vec<&str>>]) -> Self {
        let nf = rows.first().map_or(1, Vec::len);
        let fields = (0..nf)
            .map(|f| {
                let mut b = StrColumnBuilder::default();
                let mut offs = vec![0i64];
                for r in rows {
                    for m in &r[f] {
                        b.push(m);
                    }
                    offs.push(offs.last().unwrap() + r[f].len() as i64);
                }
                let (d, o) = b.finish();
                (d, o, offs)
            })
            .collect();
        Table { fields }
    }

    fn rows(&self) -> Rows<'_> {
        Rows::new(
            self.fields
                .iter()
                .map(|(d, o, r)| Field::single(Messages::new(d, o).unwrap(), r).unwrap())
                .collect(),
        )
        .unwrap()
    }
}

fn pair<'a>(p: &'a str, c: &'a str, r: &'a str) -> Vec<Vec<&'a str>> {
    vec![vec![p], vec![c], vec![r]]
}

const LONG_A: &str = "The committee met on Tuesday to discuss the budget for next year. Several members raised \
    concerns about the rising cost of maintenance. The chair promised a detailed report by the end of the month. \
    Everyone agreed that the library needs new windows before winter arrives";
const LONG_B: &str = "Rainfall in the northern valley was unusually heavy this spring. Farmers delayed planting \
    by almost three weeks. Local markets expect vegetable prices to rise during the summer months. The weather \
    service predicts a dry autumn";

#[test]
fn exact_whitespace_and_case_variants_collapse() {
    let t = Table::new(&[
        pair("Hello  world", "Yes", "No"),
        pair("hello world ", "yes", "no"),
        pair("hello world", "no", "yes"),
        pair("", "", ""),
        pair(" ", "\t", ""),
    ]);
    let out = dedup(
        &t.rows(),
        None,
        None,
        &DedupOptions {
            near: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(out.kind, vec![KEPT, EXACT, KEPT, KEPT, EXACT]);
    assert_eq!(out.reference, vec![-1, 0, -1, -1, 3]);
}

#[test]
fn near_duplicates_cluster_and_keep_policy_applies() {
    let edited = LONG_A.replace("Tuesday", "Monday");
    let shuffled = {
        let mut s: Vec<&str> = LONG_A.split(". ").collect();
        s.reverse();
        s.join(". ")
    };
    let longer = format!("{LONG_A} indeed");
    let t = Table::new(&[
        pair("q", LONG_A, "short"),
        pair("q", LONG_B, "short"),
        pair("q", &edited, "short"),
        pair("q", &shuffled, "short"),
        pair("q", &longer, "short"),
    ]);
    let out = dedup(&t.rows(), None, None, &DedupOptions::default()).unwrap();
    assert_eq!(out.kind, vec![KEPT, KEPT, NEAR, NEAR, NEAR], "{out:?}");
    assert!(out.reference[2..].iter().all(|&r| r == 0));
    assert!(out.similarity[2..].iter().all(|&s| s >= 0.8));

    let longest = dedup(
        &t.rows(),
        None,
        None,
        &DedupOptions {
            keep: Keep::Longest,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(longest.kind, vec![NEAR, KEPT, NEAR, NEAR, KEPT]);

    let prio = [0.0, 0.0, 5.0, 1.0, f64::NAN];
    let highest = dedup(
        &t.rows(),
        None,
        Some(&prio),
        &DedupOptions {
            keep: Keep::Highest,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(highest.kind, vec![NEAR, KEPT, KEPT, NEAR, NEAR]);
    assert!(highest
        .reference
        .iter()
        .enumerate()
        .all(|(i, &r)| i == 1 || i == 2 || r == 2));
}

#[test]
fn swapped_responses_are_not_duplicates() {
    let t = Table::new(&[pair("q", LONG_A, LONG_B), pair("q", LONG_B, LONG_A)]);
    let out = dedup(&t.rows(), None, None, &DedupOptions::default()).unwrap();
    assert_eq!(out.kind, vec![KEPT, KEPT]);
}

#[test]
fn exact_copy_of_a_near_removed_row_points_at_the_final_keeper() {
    let edited = LONG_A.replace("Tuesday", "Monday");
    let t = Table::new(&[
        pair("q", LONG_A, "x"),
        pair("q", &edited, "x"),
        pair("q", &edited, "x"),
    ]);
    let out = dedup(&t.rows(), None, None, &DedupOptions::default()).unwrap();
    assert_eq!(out.kind, vec![KEPT, NEAR, EXACT]);
    assert_eq!(out.reference, vec![-1, 0, 0]);
}

#[test]
fn decontamination_reports_the_eval_set() {
    let train = Table::new(&[
        pair(LONG_A, "a", "b"),
        pair(&LONG_B.replace("spring", "summer"), "a", "b"),
        pair("What is the capital of France?", "Paris", "Rome"),
        pair("Unrelated prompt about cooking pasta at home", "a", "b"),
    ]);
    let eval = Table::new(&[
        vec![vec!["what is the capital of  FRANCE?"]],
        vec![vec![LONG_B]],
        vec![vec![LONG_A]],
    ]);
    let sets = [0u32, 1, 1];
    let e = EvalPrompts {
        prompts: eval.rows(),
        set_index: &sets,
    };
    let out = dedup(&train.rows(), Some(&e), None, &DedupOptions::default()).unwrap();
    assert_eq!(
        out.kind,
        vec![CONTAMINATION, CONTAMINATION, CONTAMINATION, KEPT]
    );
    assert_eq!(out.reference, vec![2, 1, 0, -1]);
    assert_eq!(out.eval_set, vec![1, 1, 0, -1]);
    assert_eq!(out.similarity[0], 1.0);
    assert!(out.similarity[1] >= 0.8 && out.similarity[1] < 1.0);
}

#[test]
fn same_result_for_any_thread_count() {
    let texts: Vec<String> = (0..300)
        .map(|i| {
            let base = if i % 3 == 0 { LONG_A } else { LONG_B };
            format!("{base} item {}", i % 17)
        })
        .collect();
    let rows: Vec<Vec<Vec<&str>>> = texts.iter().map(|t| pair("q", t, "r")).collect();
    let t = Table::new(&rows);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| dedup(&t.rows(), None, None, &DedupOptions::default()).unwrap())
    };
    let one = run(1);
    assert!(one.kind.iter().filter(|&&k| k != KEPT).count() > 200);
    for n in [2, 3, 8] {
        let other = run(n);
        assert_eq!(one.kind, other.kind);
        assert_eq!(one.reference, other.reference);
        assert_eq!(
            format!("{:?}", one.similarity),
            format!("{:?}", other.similarity)
        );
    }
}

#[test]
fn bad_options_are_errors() {
    let t = Table::new(&[pair("a", "b", "c")]);
    let r = t.rows();
    for o in [
        DedupOptions {
            threshold: 0.0,
            ..Default::default()
        },
        DedupOptions {
            threshold: 1.01,
            ..Default::default()
        },
        DedupOptions {
            num_perm: 0,
            ..Default::default()
        },
        DedupOptions {
            lsh: Some(LshParams { bands: 20, rows: 8 }),
            ..Default::default()
        },
        DedupOptions {
            keep: Keep::Highest,
            ..Default::default()
        },
    ] {
        assert!(
            matches!(dedup(&r, None, None, &o), Err(Error::Argument { .. })),
            "{o:?}"
        );
    }
    assert!(dedup(
        &r,
        None,
        Some(&[1.0, 2.0]),
        &DedupOptions {
            keep: Keep::Highest,
            ..Default::default()
        }
    )
    .is_err());
}

#[test]
fn empty_table_is_fine() {
    let t = Table::new(&[]);
    let out = dedup(&t.rows(), None, None, &DedupOptions::default()).unwrap();
    assert!(out.kind.is_empty());
}

/// Sizes from a hostile caller: each one is an argument error naming the argument, never a
/// wrapped product, an allocation the allocator aborts on, or an endless loop.
#[test]
fn absurd_sizes_are_argument_errors() {
    let t = Table::new(&[pair("a b c", "d e", "f g"), pair("a b c", "d e", "f g")]);
    let r = t.rows();
    let lsh = |bands, rows| DedupOptions {
        lsh: Some(LshParams { bands, rows }),
        ..Default::default()
    };
    let cases = [
        (lsh(1 << 32, 1 << 32), "rows"),
        (lsh(usize::MAX, usize::MAX), "rows"),
        (lsh(1 << 40, 1), "bands"),
        (lsh(2, 1 << 40), "rows"),
        (lsh(0, 4), "bands"),
        (lsh(4, 0), "rows"),
        (
            DedupOptions {
                num_perm: 1_000_000_000_000,
                ..Default::default()
            },
            "num_perm",
        ),
        (
            DedupOptions {
                num_perm: usize::MAX,
                lsh: Some(LshParams { bands: 1, rows: 1 }),
                ..Default::default()
            },
            "num_perm",
        ),
        (
            DedupOptions {
                shingle: ShingleOptions {
                    word_ngram: 1 << 40,
                    ..Default::default()
                },
                ..Default::default()
            },
            "word_ngram",
        ),
    ];
    for (o, want) in cases {
        match dedup(&r, None, None, &o) {
            Err(Error::Argument { name, .. }) => assert_eq!(name, want, "{o:?}"),
            other => panic!("{o:?}: {other:?}"),
        }
    }
    for k in [0, minhash::MAX_PERM + 1, usize::MAX] {
        match signatures(&r, ShingleOptions::default(), k, 1) {
            Err(Error::Argument { name, .. }) => assert_eq!(name, "num_perm"),
            other => panic!("{k}: {other:?}"),
        }
    }
    // The largest allowed num_perm works end to end.
    let (sigs, ne) = signatures(&r, ShingleOptions::default(), minhash::MAX_PERM, 1).unwrap();
    assert_eq!(sigs.len(), 2 * minhash::MAX_PERM);
    assert_eq!(ne, vec![true, true]);
}

#[test]
fn signature_buffers_that_cannot_exist_are_errors() {
    let e = near::signature_buffer(usize::MAX / 4, 1024).unwrap_err();
    assert!(e.to_string().contains("overflows"), "{e}");
    let e = near::signature_buffer(1 << 50, 1024).unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot allocate the MinHash signatures"),
        "{e}"
    );
}
