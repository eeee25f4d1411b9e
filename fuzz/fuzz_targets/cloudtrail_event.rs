//! EventBridge CloudTrail records and CodePipeline job events.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = pipeline_check::event::Event::parse(&event);
    }
});
