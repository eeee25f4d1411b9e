//! CloudFormation custom resource requests: parsed, or refused with the field named.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(request) = artifact_store::request::Request::parse(&event) {
            let _ = request.account_and_region();
        }
    }
});
