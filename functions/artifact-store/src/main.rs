//! `artifact-store`: the `Custom::EncryptedArtifactStore` CloudFormation custom resource.
//! Wiring only: logging, SDK clients and the HTTPS client (built once), then the runtime loop.

use std::time::Duration;

use artifact_store::{handler, http};

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use artifact_guard::aws::{self, AwsAccount, CallLimits};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Not the runtime crate's default subscriber: that one writes raw events at TRACE.
    artifact_guard::logging::init_lambda();
    // Operations stay well inside the function timeout, leaving time to answer CloudFormation.
    let limits = CallLimits {
        operation_timeout: Duration::from_secs(30),
        ..CallLimits::default()
    };
    let sdk = aws::load_sdk_config(limits).await;
    let deps = handler::Deps {
        store: AwsAccount::new(&sdk),
        sender: http::HyperSender::new()?,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let deadline = deadline_of(event.context.deadline);
        let deps = &deps;
        async move { handler::handle(event.payload, deadline, deps).await }
    }))
    .await
}

/// The invocation deadline as a tokio instant.
fn deadline_of(deadline_ms: u64) -> tokio::time::Instant {
    tokio::time::Instant::now()
        + artifact_guard::live::time_left(deadline_ms, std::time::SystemTime::now())
}
