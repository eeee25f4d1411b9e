//! Engine throughput on a generated snapshot of 10,000 buckets, 10,000 keys and 2,000 pipelines.
//! `assess` measures the engine alone (facts to evaluations); `load_and_assess` adds streaming
//! and parsing the snapshot JSON, as `artifact-guard assess` does.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use artifact_guard::assess::snapshot;
use artifact_guard::policy::Glob;
use artifact_guard::{Assessor, Inventory, RuleParameters, ScopeIndex};
use artifact_guard_bench::{snapshot_bytes, Shape};

fn engine(c: &mut Criterion) {
    let shape = Shape::STANDARD;
    let bytes = snapshot_bytes(&shape, 7);
    let resources = (shape.buckets + shape.keys + shape.pipelines) as u64;
    let params = RuleParameters::from_json(r#"{"scope":"all"}"#).unwrap_or_default();

    let mut inventory = Inventory::new();
    snapshot::load(bytes.as_slice(), &mut inventory).unwrap_or_default();
    assert_eq!(
        inventory.len() as u64,
        resources,
        "every generated resource is read"
    );

    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(resources));
    group.sample_size(20);
    group.bench_function("assess", |b| {
        b.iter(|| {
            let scope = ScopeIndex::from_inventory(&inventory);
            Assessor::new(&params, &inventory, &scope)
                .assess_all()
                .count()
        })
    });
    group.bench_function("load_and_assess", |b| {
        b.iter(|| {
            let mut inventory = Inventory::new();
            snapshot::load(bytes.as_slice(), &mut inventory).unwrap_or_default();
            let scope = ScopeIndex::from_inventory(&inventory);
            Assessor::new(&params, &inventory, &scope)
                .assess_all()
                .count()
        })
    });
    group.finish();
}

/// IAM wildcard matching on hostile patterns (`*a` repeated n times against n×2 `a`s and a `b`):
/// the automaton has no backtracking, so the time per pattern character × text character stays
/// flat as n grows (`bench/record.py` prints it; a backtracking matcher would grow exponentially).
fn wildcard(c: &mut Criterion) {
    let mut group = c.benchmark_group("wildcard");
    group.sample_size(10);
    for n in [250usize, 500, 1_000, 2_000] {
        let pattern = "*a".repeat(n);
        let text = "a".repeat(2 * n) + "b";
        let glob = Glob::case_sensitive(&pattern);
        // Elements: pattern characters × text characters, the automaton's steps.
        group.throughput(Throughput::Elements((pattern.len() * text.len()) as u64));
        group.bench_function(format!("hostile_{n}"), |b| b.iter(|| glob.matches(&text)));
    }
    group.finish();
}

criterion_group!(benches, engine, wildcard);
criterion_main!(benches);
