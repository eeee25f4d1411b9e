//! AWS Config rule events: the envelope, then the request (invoking event, rule parameters,
//! configuration item) the rule reads from it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) =
        serde_json::from_slice::<aws_lambda_events::event::config::ConfigEvent>(data)
    {
        let _ = config_rule::event::RuleRequest::try_from(event);
    }
});
