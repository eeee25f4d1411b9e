//! `config-rule` binary: wiring only: logging, settings, SDK clients (built once), then the
//! runtime loop.

use aws_lambda_events::event::config::ConfigEvent;
use lambda_runtime::{service_fn, LambdaEvent};

use artifact_guard::aws::{self, AssumedRoles, AwsAccount, ConfigSink};
use artifact_guard::live::{time_left, ScopeCache};
use config_rule::{handler, settings::Settings};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Not the runtime crate's default subscriber: that one writes raw events at TRACE.
    artifact_guard::logging::init_lambda();
    let settings = Settings::from_env()?;
    let sdk = aws::load_sdk_config(settings.limits).await;
    let account = AwsAccount::new(&sdk);
    let deps = handler::Deps {
        sink: ConfigSink::new(account.config_client().clone()),
        sources: account,
        scope_cache: ScopeCache::new(settings.scope_cache_ttl),
        concurrency: settings.concurrency,
        calls: AwsAccount::calls,
        // Member accounts' sessions, for organization rules (rule parameter executionRoleName).
        roles: AssumedRoles::new(&sdk, "artifact-guard-config-rule"),
        session_calls: |session| session.sources.calls(),
        home: handler::Home::default(),
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<ConfigEvent>| {
        let deadline = tokio::time::Instant::now()
            + time_left(event.context.deadline, std::time::SystemTime::now());
        deps.home.learn(&event.context.invoked_function_arn);
        handler::handle(event.payload, deadline, &deps)
    }))
    .await
}
