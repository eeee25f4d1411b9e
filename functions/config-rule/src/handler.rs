//! The rule: parse, gather facts, assess, report to Config, return what was reported.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::config::ConfigEvent;
use serde::Serialize;
use tracing::info;

use artifact_guard::facts::{ConfigurationItem, Fact, ResourceFacts, Subject};
pub use artifact_guard::live::Home;
use artifact_guard::live::{
    self, is_account_id, AccountSessions, EvaluationSink, GatherStats, NoSessions, ScopeCache,
    Session, Sources,
};
use artifact_guard::quote;
use artifact_guard::{
    Assessor, Compliance, Evaluation, Inventory, RuleParameters, Scope, ScopeIndex,
};

use crate::error::RuleError;
use crate::event::{kind_of, RuleRequest, Trigger};
use crate::report::report;

/// What the handler needs, built once per process.
pub struct Deps<S, E, R: AccountSessions = NoSessions<Session<S, E>>> {
    /// Live facts of the function's own account.
    pub sources: S,
    /// Where the function's own account's evaluations go.
    pub sink: E,
    /// Scope index of the function's own account, shared by warm invocations.
    pub scope_cache: ScopeCache,
    /// Concurrent reads during a sweep.
    pub concurrency: usize,
    /// AWS calls made so far by `sources`, for the summary line.
    pub calls: fn(&S) -> u64,
    /// Sessions in member accounts, for rules with `executionRoleName`.
    pub roles: R,
    /// AWS calls made so far by a member session.
    pub session_calls: fn(&R::Session) -> u64,
    /// The function's own account and partition.
    pub home: Home,
}

/// One account as the rule sees it: its readers, sink and scope cache.
struct Account<'a, S, E> {
    sources: &'a S,
    sink: &'a E,
    scope_cache: &'a ScopeCache,
    concurrency: usize,
    calls: &'a dyn Fn() -> u64,
}

/// The function's result: the evaluations it reported (so `cargo lambda invoke` and
/// `sam local invoke` show them).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleResult {
    pub message_type: &'static str,
    pub test_mode: bool,
    pub evaluations: Vec<Evaluation>,
}

/// What every step needs to know about the request.
struct Ctx<'a> {
    parameters: &'a RuleParameters,
    left_scope: bool,
    account_id: Option<&'a str>,
}

/// Time kept back from the invocation's deadline to return the error: a rule that runs out of
/// time fails (Config invokes it again) instead of ending with some evaluations unreported.
pub const DEADLINE_RESERVE: Duration = Duration::from_millis(300);

/// Handles one Config event before `deadline`.
pub async fn handle<S, E, R, S2, E2>(
    event: ConfigEvent,
    deadline: tokio::time::Instant,
    deps: &Deps<S, E, R>,
) -> Result<RuleResult, RuleError>
where
    S: Sources,
    E: EvaluationSink,
    R: AccountSessions<Session = Session<S2, E2>>,
    S2: Sources,
    E2: EvaluationSink,
{
    let started = tokio::time::Instant::now();
    let stop_at = deadline.checked_sub(DEADLINE_RESERVE).unwrap_or(deadline);
    match tokio::time::timeout_at(stop_at, evaluate(event, deps)).await {
        Ok(result) => result,
        Err(_) => Err(RuleError::OutOfTime {
            after_ms: started.elapsed().as_millis(),
        }),
    }
}

/// Picks the account the event is judged in: the function's own, or, with
/// `executionRoleName`, a session of that role in the event's account (never the event's
/// `executionRoleArn`, Config's service-linked role, which a function cannot assume).
async fn evaluate<S, E, R, S2, E2>(
    event: ConfigEvent,
    deps: &Deps<S, E, R>,
) -> Result<RuleResult, RuleError>
where
    S: Sources,
    E: EvaluationSink,
    R: AccountSessions<Session = Session<S2, E2>>,
    S2: Sources,
    E2: EvaluationSink,
{
    let request = RuleRequest::try_from(event)?;
    tracing::trace!(
        message_type = request.trigger.message_type(),
        test_mode = request.test_mode,
        left_scope = request.left_scope,
        "event parsed"
    );
    let event_account = request.account_id.clone();
    match (&request.parameters.execution_role_name, event_account) {
        (Some(role), Some(account)) => {
            if !is_account_id(&account) {
                return Err(RuleError::InvalidEvent {
                    field: "accountId".into(),
                    problem: format!("{} is not an AWS account id", quote::quoted(&account)),
                });
            }
            let partition = request
                .partition
                .as_deref()
                .or(deps.home.partition())
                .unwrap_or("aws");
            let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
            let session = deps.roles.session(&role_arn, &account).await?;
            let calls = || (deps.session_calls)(&session);
            let view = Account {
                sources: &session.sources,
                sink: &session.sink,
                scope_cache: &session.scope_cache,
                concurrency: deps.concurrency,
                calls: &calls,
            };
            let result = judge(request, &view).await;
            info!(account = %account, assume_role_calls = deps.roles.assumed(), "judged through the execution role");
            result
        }
        (Some(_), None) => Err(RuleError::InvalidEvent {
            field: "accountId".into(),
            problem: "is missing, so the account whose execution role to assume is not known"
                .into(),
        }),
        (None, account) => {
            if let (Some(account), Some(home)) = (account.as_deref(), deps.home.account()) {
                if account != home {
                    return Err(RuleError::InvalidEvent {
                        field: "accountId".into(),
                        problem: format!(
                            "is {}, not this function's account {home}: an organization rule \
                             needs the rule parameter executionRoleName, the role artifact-guard \
                             assumes in each member (org/member.yaml makes \
                             artifact-guard-execution)",
                            quote::quoted(account)
                        ),
                    });
                }
            }
            let calls = || (deps.calls)(&deps.sources);
            let view = Account {
                sources: &deps.sources,
                sink: &deps.sink,
                scope_cache: &deps.scope_cache,
                concurrency: deps.concurrency,
                calls: &calls,
            };
            judge(request, &view).await
        }
    }
}

/// Judges the event's resources in one account and reports there.
async fn judge<S: Sources, E: EvaluationSink>(
    request: RuleRequest,
    account: &Account<'_, S, E>,
) -> Result<RuleResult, RuleError> {
    let calls_before = (account.calls)();
    let RuleRequest {
        trigger,
        parameters,
        result_token,
        test_mode,
        left_scope,
        account_id,
        ..
    } = request;
    let ctx = Ctx {
        parameters: &parameters,
        left_scope,
        account_id: account_id.as_deref(),
    };
    let mut stats = GatherStats::default();
    let message_type = trigger.message_type();
    let evaluations = match trigger {
        Trigger::Periodic { notification_time } => {
            periodic(&ctx, &notification_time, account, &mut stats).await?
        }
        Trigger::Change(item) => vec![change(*item, &ctx, account, &mut stats).await?],
        Trigger::Oversized {
            resource_type,
            resource_id,
            gone_status,
            captured_at,
        } => {
            let na = |reason: String| {
                Evaluation::not_applicable_for(
                    &resource_type,
                    &resource_id,
                    captured_at.as_deref(),
                    reason,
                )
            };
            let evaluation = match (gone_status, kind_of(&resource_type)) {
                (Some(status), _) => na(format!("configuration item status is {status}")),
                (None, None) => na(format!("{resource_type} is not assessed by artifact-guard")),
                (None, Some(kind)) => {
                    match account.sources.latest_item(kind, &resource_id).await? {
                        Some(item) => change(item, &ctx, account, &mut stats).await?,
                        // Config announced a change it cannot show: fail closed, and say so.
                        None => Evaluation::unreadable(
                            &resource_type,
                            &resource_id,
                            captured_at.as_deref(),
                            "config:GetResourceConfigHistory returned no configuration item".into(),
                        ),
                    }
                }
            };
            vec![evaluation]
        }
    };
    report(account.sink, &evaluations, &result_token, test_mode).await?;
    let non_compliant = evaluations
        .iter()
        .filter(|e| e.compliance_type == Compliance::NonCompliant)
        .count();
    info!(
        message_type,
        evaluations = evaluations.len(),
        non_compliant,
        test_mode,
        pipelines = stats.pipelines,
        from_config = stats.from_config,
        buckets_from_s3 = stats.buckets_from_s3,
        keys_from_kms = stats.keys_from_kms,
        key_policies = stats.key_policies,
        accounts = stats.accounts,
        api_calls = (account.calls)() - calls_before,
        "reported"
    );
    Ok(RuleResult {
        message_type,
        test_mode,
        evaluations,
    })
}

async fn change<S: Sources, E>(
    item: ConfigurationItem,
    ctx: &Ctx<'_>,
    account: &Account<'_, S, E>,
    stats: &mut GatherStats,
) -> Result<Evaluation, RuleError> {
    let resource_type = item.resource_type.clone().unwrap_or_default();
    let resource_id = item.resource_id.clone().unwrap_or_default();
    if ctx.left_scope || kind_of(&resource_type).is_none() {
        let reason = if ctx.left_scope {
            "the resource left the rule's scope"
        } else {
            "this resource type is not assessed by artifact-guard"
        };
        let captured = item.capture_time_text();
        return Ok(Evaluation::not_applicable_for(
            &resource_type,
            &resource_id,
            captured.as_deref(),
            reason.into(),
        ));
    }
    let gathered = live::gather_for_item(account.sources, item, stats)
        .await
        .map_err(|e| RuleError::InvalidEvent {
            field: format!("invokingEvent.configurationItem.{}", e.field),
            problem: e.problem,
        })?;
    let Some((inventory, subject)) = gathered else {
        return Ok(Evaluation::not_applicable_for(
            &resource_type,
            &resource_id,
            None,
            "this resource type is not assessed by artifact-guard".into(),
        ));
    };
    let facts = &inventory
        .entry(subject.kind, &subject.id)
        .ok_or_else(|| RuleError::InvalidEvent {
            field: "invokingEvent.configurationItem".into(),
            problem: "could not be read".into(),
        })?
        .facts;
    let scope = scope_for(&subject, facts, ctx, account).await?;
    Ok(Assessor::new(ctx.parameters, &inventory, &scope).assess(&subject, facts))
}

/// The scope index matters only for a bucket or key that is not in scope by its own facts
/// (console default name, tag); only then is the cached index (or a fresh one) used.
async fn scope_for<S: Sources, E>(
    subject: &Subject,
    facts: &ResourceFacts,
    ctx: &Ctx<'_>,
    view: &Account<'_, S, E>,
) -> Result<ScopeIndex, RuleError> {
    let local = ScopeIndex::default();
    let decided_locally = ctx.parameters.scope == Scope::All
        || match facts {
            ResourceFacts::Bucket(Fact::Known(b)) => local.bucket_in_scope(b),
            ResourceFacts::Key(Fact::Known(k)) => local.key_in_scope(k),
            _ => true,
        };
    if decided_locally {
        return Ok(local);
    }
    let account = ctx.account_id.or(subject.account_id.as_deref());
    Ok(live::scope_index(view.sources, view.scope_cache, account, view.concurrency).await?)
}

async fn periodic<S: Sources, E>(
    ctx: &Ctx<'_>,
    notification_time: &str,
    account: &Account<'_, S, E>,
    stats: &mut GatherStats,
) -> Result<Vec<Evaluation>, RuleError> {
    let (inventory, gathered): (Inventory, GatherStats) =
        live::sweep(account.sources, ctx.account_id, account.concurrency).await?;
    *stats = gathered;
    let scope = ScopeIndex::from_inventory(&inventory);
    account.scope_cache.put(Instant::now(), scope.clone());
    let time: Arc<str> = notification_time.into();
    Ok(Assessor::new(ctx.parameters, &inventory, &scope)
        .assess_all()
        .map(|mut e| {
            e.ordering_timestamp = Some(time.clone());
            e
        })
        .collect())
}
