//! Configuration items of either shape, through facts and the assessment.
#![no_main]

use artifact_guard::facts::ConfigurationItem;
use artifact_guard::{Assessor, Inventory, RuleParameters, ScopeIndex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(item) = ConfigurationItem::from_json(text) else {
        return;
    };
    let Ok(Some((subject, facts))) = item.into_facts() else {
        return;
    };
    let mut inventory = Inventory::new();
    inventory.insert(subject, facts);
    let params = RuleParameters::default();
    let scope = ScopeIndex::from_inventory(&inventory);
    for evaluation in Assessor::new(&params, &inventory, &scope).assess_all() {
        assert!(evaluation.annotation.chars().count() <= 256);
    }
});
