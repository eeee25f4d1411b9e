//! One entry point for both triggers: the CloudTrail record of a pipeline change, and the gate
//! action's CodePipeline job.

use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;
use tracing::info;

use artifact_guard::live::{AccountSessions, Notifier, Sources};

use crate::check::{check, CheckError, CheckResult, Control, Deps};
use crate::event::Event;
use crate::gate::{gate, GateResult, Unanswered};

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Output {
    Check(CheckResult),
    Gate(GateResult),
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    Gate(#[from] Unanswered),
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        match error {
            HandlerError::Check(e) => e.into(),
            HandlerError::Gate(e) => lambda_runtime::Diagnostic {
                error_type: "Retryable".into(),
                error_message: e.to_string(),
            },
        }
    }
}

pub async fn handle<S, C, N, R, S2, C2>(
    event: Value,
    deadline: Instant,
    deps: &Deps<S, C, N, R>,
) -> Result<Output, HandlerError>
where
    S: Sources,
    C: Control,
    N: Notifier,
    R: AccountSessions<Session = (S2, C2)>,
    S2: Sources,
    C2: Control,
{
    let event = Event::parse(&event).map_err(CheckError::from)?;
    tracing::trace!(kind = event.kind(), "event parsed");
    match event {
        Event::Job { id } => Ok(Output::Gate(gate(&id, deadline, deps).await?)),
        Event::Skip(reason) => {
            info!(%reason, "skipped");
            Ok(Output::Check(CheckResult::Skipped { reason }))
        }
        Event::PipelineChange(change) => Ok(Output::Check(check(change, deps).await?)),
    }
}
