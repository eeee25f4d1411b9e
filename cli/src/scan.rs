//! `artifact-guard scan`: live accounts, assessed with the same code as the Config rule's
//! periodic sweep. One account with the caller's credentials, or many through a role that each
//! of them trusts (`--role-name` with `--organization` or `--accounts`), in one or more regions.

use std::time::Instant;

use artifact_guard::aws::{self, partition_for_region, AwsAccount, CallLimits, RoleCache};
use artifact_guard::{live, Inventory};
use aws_config::SdkConfig;
use futures::stream::{self, StreamExt};

use crate::assess::read_parameters;
use crate::progress::Progress;
use crate::report::{NotScanned, Outcome, Resources};
use crate::{Format, UsageError};

/// Where and how to connect.
pub struct Target<'a> {
    pub region: Option<&'a str>,
    pub profile: Option<&'a str>,
    pub endpoint_url: Option<&'a str>,
    pub concurrency: usize,
    /// Accounts swept at once.
    pub account_concurrency: usize,
    pub accounts: Accounts<'a>,
    /// Regions to sweep; empty: the configured region.
    pub regions: Vec<String>,
}

/// Which accounts to sweep.
pub enum Accounts<'a> {
    /// The caller's own, with the caller's credentials.
    Own,
    /// These, each through `arn:<partition>:iam::<account>:role/<role_name>`.
    Listed {
        role_name: &'a str,
        ids: Vec<String>,
    },
    /// Every ACTIVE account of the organization (Organizations `ListAccounts`, from the
    /// management or a delegated administrator account), each through the role.
    Organization { role_name: &'a str },
}

/// The session name members see in CloudTrail for the scan's `AssumeRole`.
const SESSION_NAME: &str = "artifact-guard-scan";

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
    let (parts, not_scanned) = runtime.block_on(sweep_all(target))?;
    for n in &not_scanned {
        eprintln!(
            "artifact-guard: not scanned: account {} {}: {}",
            n.account_id, n.region, n.reason
        );
    }
    crate::report::write(
        Resources::Inventories(&parts),
        &not_scanned,
        &params,
        format,
    )
}

async fn sweep_all(target: &Target<'_>) -> Result<(Vec<Inventory>, Vec<NotScanned>), UsageError> {
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
    let Some(home_region) = sdk.region().map(|r| r.to_string()) else {
        return Err(UsageError(
            "no AWS region: pass --region or set AWS_REGION".into(),
        ));
    };
    let regions = if target.regions.is_empty() {
        vec![home_region.clone()]
    } else {
        target.regions.clone()
    };
    let started = Instant::now();
    let (role_name, accounts) = match &target.accounts {
        Accounts::Own => return sweep_own(&sdk, &regions, target.concurrency, started).await,
        Accounts::Listed { role_name, ids } => (*role_name, ids.clone()),
        Accounts::Organization { role_name } => (*role_name, organization_accounts(&sdk).await?),
    };
    let partition = partition_for_region(&home_region);
    let through = Through {
        roles: RoleCache::with_maker(&sdk, SESSION_NAME, SdkConfig::clone),
        role_name,
        partition,
        concurrency: target.concurrency,
    };
    let progress = Progress::new((accounts.len() * regions.len()) as u64);
    let jobs = accounts
        .iter()
        .flat_map(|account| regions.iter().map(move |region| (account, region)));
    let results: Vec<_> = stream::iter(jobs)
        .map(|(account, region)| {
            let (through, progress) = (&through, &progress);
            async move {
                let result = through.sweep(account, region).await;
                match &result {
                    Ok(swept) => progress.done(account, region, swept.inventory.len(), swept.calls),
                    Err(_) => progress.failed(account, region),
                }
                (account.clone(), region.clone(), result)
            }
        })
        .buffered(target.account_concurrency)
        .collect()
        .await;
    progress.finish(started);
    eprintln!(
        "artifact-guard: {} AssumeRole calls for {} accounts",
        through.roles.assumed(),
        accounts.len()
    );

    let mut parts = Vec::new();
    let mut not_scanned = Vec::new();
    for (account, region, result) in results {
        match result {
            Ok(swept) => parts.push(swept.inventory),
            Err(reason) => not_scanned.push(NotScanned {
                account_id: account,
                region,
                reason,
            }),
        }
    }
    Ok((parts, not_scanned))
}

/// The caller's own account, in each region, with the caller's credentials.
async fn sweep_own(
    sdk: &SdkConfig,
    regions: &[String],
    concurrency: usize,
    started: Instant,
) -> Result<(Vec<Inventory>, Vec<NotScanned>), UsageError> {
    let own = caller_account(sdk).await;
    let progress = Progress::new(regions.len() as u64);
    let mut parts = Vec::new();
    let mut not_scanned = Vec::new();
    for region in regions {
        let account = AwsAccount::new(&in_region(sdk, region));
        match live::sweep(&account, own.as_deref(), concurrency).await {
            Ok((mut inventory, _)) => {
                inventory.locate(None, region);
                progress.done("this account", region, inventory.len(), account.calls());
                parts.push(inventory);
            }
            // One region of the caller's own account: nothing else to report on.
            Err(e) if regions.len() == 1 => {
                return Err(UsageError(format!("cannot scan the account: {e}")))
            }
            Err(e) => {
                progress.failed("this account", region);
                not_scanned.push(NotScanned {
                    account_id: "(own)".into(),
                    region: region.clone(),
                    reason: e.to_string(),
                });
            }
        }
    }
    progress.finish(started);
    Ok((parts, not_scanned))
}

/// The caller's account id (`sts:GetCallerIdentity`): the account is a resource of its own,
/// reported under its id. Without it the account is not assessed, and the scan says why.
async fn caller_account(sdk: &SdkConfig) -> Option<String> {
    match aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
    {
        Ok(out) => out.account().map(str::to_owned),
        Err(e) => {
            let code =
                aws_sdk_sts::error::ProvideErrorMetadata::code(&e).unwrap_or("no error code");
            eprintln!(
                "artifact-guard: the account itself is not assessed: sts:GetCallerIdentity failed ({code})"
            );
            None
        }
    }
}

/// Other accounts, each through the same role name, one `AssumeRole` per account.
struct Through<'a> {
    roles: RoleCache<SdkConfig>,
    role_name: &'a str,
    partition: &'static str,
    concurrency: usize,
}

/// One account-region's inventory and the AWS calls it took.
struct Swept {
    inventory: Inventory,
    calls: u64,
}

impl Through<'_> {
    /// `account` in `region`, or why it could not be read (naming the role and the fix).
    async fn sweep(&self, account: &str, region: &str) -> Result<Swept, String> {
        let role_arn = format!(
            "arn:{}:iam::{account}:role/{}",
            self.partition, self.role_name
        );
        let assumed = self
            .roles
            .get(&role_arn, account)
            .await
            .map_err(|e| e.to_string())?;
        let sources = AwsAccount::new(&in_region(&assumed, region));
        let (mut inventory, _) = live::sweep(&sources, Some(account), self.concurrency)
            .await
            .map_err(|e| format!("cannot scan: {e}"))?;
        inventory.locate(Some(account), region);
        Ok(Swept {
            inventory,
            calls: sources.calls(),
        })
    }
}

fn in_region(sdk: &SdkConfig, region: &str) -> SdkConfig {
    sdk.to_builder()
        .region(aws_config::Region::new(region.to_owned()))
        .build()
}

/// The organization's ACTIVE accounts, in the order Organizations lists them.
async fn organization_accounts(sdk: &SdkConfig) -> Result<Vec<String>, UsageError> {
    let client = aws_sdk_organizations::Client::new(sdk);
    let mut pages = client.list_accounts().into_paginator().send();
    let mut accounts = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            UsageError(format!(
                "--organization: cannot list the organization's accounts ({}); run from the \
                 management account or a delegated administrator, or name them with --accounts",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            ))
        })?;
        for account in page.accounts() {
            let active = account
                .state()
                .map(|s| s.as_str() == "ACTIVE")
                .or_else(|| account.status().map(|s| s.as_str() == "ACTIVE"))
                .unwrap_or(false);
            if let (true, Some(id)) = (active, account.id()) {
                accounts.push(id.to_owned());
            }
        }
    }
    if accounts.is_empty() {
        return Err(UsageError(
            "--organization: the organization lists no ACTIVE account".into(),
        ));
    }
    Ok(accounts)
}
