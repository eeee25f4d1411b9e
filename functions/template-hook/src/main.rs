//! `template-hook` binary: wiring only.

use std::time::Duration;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use artifact_guard::aws::{self, AwsAccount, CallLimits};
use artifact_guard::RuleParameters;
use template_hook::{handler, live::Live, payload::HttpsSource};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Not the runtime crate's default subscriber: that one writes raw events at TRACE.
    artifact_guard::logging::init_lambda();
    // CloudFormation waits 30 seconds for a hook's answer: every call stays well inside it.
    let limits = CallLimits {
        operation_timeout: Duration::from_secs(8),
        ..CallLimits::default()
    };
    let sdk = aws::load_sdk_config(limits).await;
    let region = sdk.region().map(ToString::to_string).unwrap_or_default();
    let parameters =
        RuleParameters::from_json(&std::env::var("RULE_PARAMETERS").unwrap_or_default())?;
    let deps = handler::Deps {
        live: Live(AwsAccount::new(&sdk)),
        templates: HttpsSource::new(
            std::env::var("AWS_ENDPOINT_URL").ok(),
            Duration::from_secs(10),
        )?,
        region,
        parameters,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let deps = &deps;
        async move { Ok::<_, lambda_runtime::Error>(handler::handle(&event.payload, deps).await) }
    }))
    .await
}
