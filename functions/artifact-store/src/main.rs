//! `artifact-store`: the `Custom::EncryptedArtifactStore` CloudFormation custom resource.
//! Wiring only: logging, SDK clients and the HTTPS client (built once), then the runtime loop.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use artifact_store::{handler, http};

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use artifact_guard::aws::{self, AwsAccount, CallLimits};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
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

/// The invocation deadline (milliseconds since the epoch) as a tokio instant.
///
/// cargo-lambda's emulator sends the function timeout (e.g. 600000) instead of an epoch
/// deadline; a value that small (before 2001) is read as a duration from now, so that local
/// runs get the time they were given instead of none.
fn deadline_of(deadline_ms: u64) -> tokio::time::Instant {
    const EPOCH_2001_MS: u64 = 1_000_000_000_000;
    let now = tokio::time::Instant::now();
    if deadline_ms < EPOCH_2001_MS {
        return now + Duration::from_millis(deadline_ms);
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    now + Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}
