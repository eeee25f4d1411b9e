//! `assess-repeat N`: loads the `engine` benchmark's snapshot (standard shape, seed 7) and
//! assesses it N times. For instruction counts under `valgrind --tool=callgrind`, which repeat
//! exactly on a shared host where wall-clock figures vary by half:
//! `valgrind --tool=callgrind --toggle-collect='*assess_times*' assess-repeat 3` counts the
//! engine alone (`make bench-instructions`).

use std::process::ExitCode;

use artifact_guard::assess::snapshot;
use artifact_guard::{Assessor, Inventory, RuleParameters, ScopeIndex};
use artifact_guard_bench::{snapshot_bytes, Shape};

fn main() -> ExitCode {
    let Some(n) = std::env::args().nth(1).and_then(|a| a.parse::<u32>().ok()) else {
        eprintln!("usage: assess-repeat N");
        return ExitCode::from(2);
    };
    let shape = Shape::STANDARD;
    let bytes = snapshot_bytes(&shape, 7);
    let params = match RuleParameters::from_json(r#"{"scope":"all"}"#) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("assess-repeat: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut inventory = Inventory::new();
    if let Err(e) = snapshot::load(bytes.as_slice(), &mut inventory) {
        eprintln!("assess-repeat: {e}");
        return ExitCode::FAILURE;
    }
    let evaluations = assess_times(n, &inventory, &params);
    println!("{} resources, {evaluations} evaluations", inventory.len());
    ExitCode::SUCCESS
}

/// The measured part, out of line so that `--toggle-collect=*assess_times*` counts only it.
#[inline(never)]
fn assess_times(n: u32, inventory: &Inventory, params: &RuleParameters) -> usize {
    let mut evaluations = 0;
    for _ in 0..n {
        let scope = ScopeIndex::from_inventory(inventory);
        evaluations += Assessor::new(params, inventory, &scope)
            .assess_all()
            .count();
    }
    evaluations
}
