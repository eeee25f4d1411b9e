//! `config-rule`: artifact-guard's AWS Config custom rule. Wiring only: logging, settings,
//! SDK clients (built once), then the runtime loop.

mod error;
mod event;
mod handler;
mod report;
mod settings;

use aws_lambda_events::event::config::ConfigEvent;
use lambda_runtime::{service_fn, LambdaEvent};

use artifact_guard::aws::{self, AwsAccount, ConfigSink};
use artifact_guard::live::ScopeCache;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let settings = settings::Settings::from_env()?;
    let sdk = aws::load_sdk_config(settings.limits).await;
    let account = AwsAccount::new(&sdk);
    let deps = handler::Deps {
        sink: ConfigSink::new(account.config_client().clone()),
        sources: account,
        scope_cache: ScopeCache::new(settings.scope_cache_ttl),
        concurrency: settings.concurrency,
        calls: AwsAccount::calls,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<ConfigEvent>| {
        handler::handle(event.payload, &deps)
    }))
    .await
}

#[cfg(test)]
mod tests;
