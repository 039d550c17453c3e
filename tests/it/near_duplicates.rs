//! The near-duplicate decision against a set of reposted/reworded and distinct story pairs:
//! precision and recall of "same story" at the configured default threshold, counting a pair as
//! found only when the two signatures also share a band (the store finds candidates by band).
//! The likeness of each pair is printed (`--nocapture`) so that a new default can be justified.

use std::path::Path;

use crossfeed::config::DedupeConfig;
use crossfeed::dedupe::signature;
use crossfeed::fold::Folder;

#[test]
fn the_default_threshold_separates_reposts_from_distinct_stories() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/fixtures/near_duplicates.tsv")).unwrap();
    let folder = Folder { t2s: true };
    let threshold = DedupeConfig::default().threshold;
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    let mut same_d = Vec::new();
    let mut diff_d = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 5, "{line}");
        let a = signature(folder, f[1], f[2]).unwrap();
        let b = signature(folder, f[3], f[4]).unwrap();
        let d = a.likeness(&b);
        let share_band = a.bands().iter().any(|band| b.bands().contains(band));
        let predicted = d >= threshold && share_band;
        match (f[0], predicted) {
            ("same", true) => tp += 1,
            ("same", false) => fn_ += 1,
            ("different", true) => fp += 1,
            ("different", false) => tn += 1,
            (label, _) => panic!("bad label {label}"),
        }
        if f[0] == "same" {
            same_d.push(d);
        } else {
            diff_d.push(d);
        }
        let band = if share_band { "" } else { " (no shared band)" };
        println!("{:>9} likeness {d:.2}{band} {} | {}", f[0], f[1], f[3]);
    }
    same_d.sort_by(f64::total_cmp);
    diff_d.sort_by(f64::total_cmp);
    let precision = f64::from(tp) / f64::from((tp + fp).max(1));
    let recall = f64::from(tp) / f64::from((tp + fn_).max(1));
    println!("same-story likeness: {same_d:.2?}");
    println!("distinct likeness:   {diff_d:.2?}");
    println!(
        "threshold {threshold:.2}: precision {precision:.3}, recall {recall:.3} (tp {tp}, fp {fp}, fn {fn_}, tn {tn})"
    );
    assert!(tp + fn_ >= 15 && fp + tn >= 15, "too few pairs");
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(recall >= 0.95, "recall {recall:.3}");
}
