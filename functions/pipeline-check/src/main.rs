//! `pipeline-check` binary: wiring only.

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use artifact_guard::aws::{self, AwsAccount, CallLimits, PipelineControl, RoleCache, SnsNotifier};
use artifact_guard::live::Home;
use pipeline_check::{check::Deps, handler, settings::Settings};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Not the runtime crate's default subscriber: that one writes raw events at TRACE.
    artifact_guard::logging::init_lambda();
    let settings = Settings::from_env()?;
    let sdk = aws::load_sdk_config(CallLimits::default()).await;
    let deps = Deps {
        sources: AwsAccount::new(&sdk),
        control: PipelineControl::new(&sdk),
        notifier: SnsNotifier::new(&sdk),
        settings,
        // Member accounts, through the executionRoleName of RULE_PARAMETERS (organizations).
        members: RoleCache::with_maker(&sdk, "artifact-guard-pipeline-check", |member| {
            (AwsAccount::new(member), PipelineControl::new(member))
        }),
        home: Home::default(),
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let deadline = tokio::time::Instant::now()
            + artifact_guard::live::time_left(event.context.deadline, std::time::SystemTime::now());
        let deps = &deps;
        deps.home.learn(&event.context.invoked_function_arn);
        async move { handler::handle(event.payload, deadline, deps).await }
    }))
    .await
}
