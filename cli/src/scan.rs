//! `artifact-guard scan`: a live account, assessed with the same code as the Config rule's
//! periodic sweep.

use std::io::IsTerminal;
use std::time::Instant;

use artifact_guard::aws::{self, AwsAccount, CallLimits};
use artifact_guard::live;

use crate::assess::read_parameters;
use crate::report::Outcome;
use crate::{Format, UsageError};

/// Where and how to connect.
pub struct Target<'a> {
    pub region: Option<&'a str>,
    pub profile: Option<&'a str>,
    pub endpoint_url: Option<&'a str>,
    pub concurrency: usize,
}

pub fn run(
    target: &Target<'_>,
    parameters: Option<&str>,
    format: Format,
) -> Result<Outcome, UsageError> {
    let params = read_parameters(parameters)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| UsageError(format!("cannot start the async runtime: {e}")))?;
    let progress = std::io::stderr().is_terminal();
    let started = Instant::now();
    let (inventory, stats, calls) = runtime.block_on(async {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = target.region {
            loader = loader.region(aws_config::Region::new(region.to_owned()));
        }
        if let Some(profile) = target.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = target.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = aws::load_sdk_config_with(loader, CallLimits::default()).await;
        if sdk.region().is_none() {
            return Err(UsageError(
                "no AWS region: pass --region or set AWS_REGION".into(),
            ));
        }
        let account = AwsAccount::new(&sdk);
        if progress {
            eprintln!("artifact-guard: reading pipelines, artifact buckets and keys…");
        }
        let (inventory, stats) = live::sweep(&account, None, target.concurrency)
            .await
            .map_err(|e| UsageError(format!("cannot scan the account: {e}")))?;
        Ok((inventory, stats, account.calls()))
    })?;
    if progress {
        eprintln!(
            "artifact-guard: read {} pipelines and {} buckets and keys in {:.1} s ({calls} AWS calls)",
            stats.pipelines,
            inventory.len().saturating_sub(stats.pipelines),
            started.elapsed().as_secs_f64(),
        );
    }
    crate::report::write(&inventory, &params, format)
}
