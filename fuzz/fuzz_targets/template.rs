//! CloudFormation templates: parsing, intrinsic functions and the assessment must never panic
//! or run away, whatever the text.
#![no_main]

use artifact_guard::template;
use artifact_guard::RuleParameters;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(mut facts) = template::read(text, &[]) {
            facts.mark_external_unknown();
            let _ = facts.evaluate(&RuleParameters::default());
        }
    }
});
