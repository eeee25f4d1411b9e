//! Bucket policies: parsing and the three questions must never panic or run away.
#![no_main]

use artifact_guard::policy::{Policy, PolicyAnswers};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(policy) = Policy::from_json_text(text) {
            let answers = PolicyAnswers::of(&policy, "arn:aws:s3:::artifacts");
            // Rendering the reasons is part of the contract too.
            let _ = (
                answers.unencrypted_uploads.to_string(),
                answers.old_tls.to_string(),
            );
        }
    }
});
