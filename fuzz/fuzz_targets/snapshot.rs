//! Whole snapshots (plain or gzip, any bytes): a clean error or an inventory, never a panic.
#![no_main]

use artifact_guard::assess::snapshot;
use artifact_guard::{Assessor, Inventory, RuleParameters, ScopeIndex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut inventory = Inventory::new();
    if snapshot::load(data, &mut inventory).is_ok() {
        let params = RuleParameters::default();
        let scope = ScopeIndex::from_inventory(&inventory);
        let _ = Assessor::new(&params, &inventory, &scope)
            .assess_all()
            .count();
    }
});
