//! The gate action: a CodePipeline Lambda invoke action that lets a run continue only through a
//! compliant pipeline. The job is answered exactly once on every path — success, a failed
//! assessment, an error, a timeout or a panic — because an unanswered job blocks the pipeline
//! until it times out.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use serde::Serialize;
use tokio::time::Instant;
use tracing::{info, warn};

use artifact_guard::live::{Notifier, SourceError, Sources};
use artifact_guard::Compliance;

use crate::check::{assess, Control, Deps};

/// What the job was answered.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct GateResult {
    pub job_id: String,
    pub succeeded: bool,
    pub message: String,
}

/// The job could not be answered (Lambda's retry tries again).
#[derive(Debug, thiserror::Error)]
#[error("job {job_id} was not answered: {source}")]
pub struct Unanswered {
    pub job_id: String,
    #[source]
    pub source: SourceError,
}

/// CodePipeline's limits on the summary and the failure message.
const SUMMARY_LIMIT: usize = 2048;
const MESSAGE_LIMIT: usize = 5000;

pub async fn gate<S: Sources, C: Control, N: Notifier, R>(
    job_id: &str,
    deadline: Instant,
    deps: &Deps<S, C, N, R>,
) -> Result<GateResult, Unanswered> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    let reserve = (remaining / 4).clamp(Duration::from_millis(500), Duration::from_secs(10));
    let work_deadline = deadline.checked_sub(reserve).unwrap_or_else(Instant::now);
    let work = AssertUnwindSafe(Box::pin(judge(job_id, deps))).catch_unwind();
    let (succeeded, message) = match tokio::time::timeout_at(work_deadline, work).await {
        Ok(Ok(Ok((true, summary)))) => (true, summary),
        Ok(Ok(Ok((false, why)))) => (false, why),
        Ok(Ok(Err(e))) => (
            false,
            format!("artifact-guard could not assess the pipeline: {e}"),
        ),
        Ok(Err(_panic)) => (
            false,
            "artifact-guard failed internally while assessing the pipeline".to_owned(),
        ),
        Err(_) => (
            false,
            "artifact-guard timed out while assessing the pipeline".to_owned(),
        ),
    };
    let answered = if succeeded {
        deps.control
            .put_job_success(job_id, &cut(&message, SUMMARY_LIMIT))
            .await
    } else {
        deps.control
            .put_job_failure(job_id, &cut(&message, MESSAGE_LIMIT))
            .await
    };
    match answered {
        Ok(()) => {
            info!(job_id, succeeded, "job answered");
            Ok(GateResult {
                job_id: job_id.to_owned(),
                succeeded,
                message,
            })
        }
        Err(source) => {
            warn!(job_id, error = %source, "job not answered");
            Err(Unanswered {
                job_id: job_id.to_owned(),
                source,
            })
        }
    }
}

/// `(true, summary)` for a compliant pipeline, `(false, what to fix)` otherwise.
async fn judge<S: Sources, C: Control, N, R>(
    job_id: &str,
    deps: &Deps<S, C, N, R>,
) -> Result<(bool, String), SourceError> {
    let pipeline = deps.control.job_pipeline(job_id).await?;
    let facts = deps.sources.read_pipeline(&pipeline, None).await;
    let evaluation = assess(
        &deps.sources,
        &pipeline,
        None,
        facts,
        &deps.settings.parameters,
    )
    .await;
    if evaluation.compliance_type == Compliance::NonCompliant {
        let mut message = format!(
            "artifact-guard: pipeline {pipeline} is NON_COMPLIANT; fix before artifacts move on."
        );
        for f in evaluation.failing_controls().filter(|f| f.required) {
            message.push_str(&format!(
                " {} {}: {} Fix: {}",
                f.control,
                f.status.as_str(),
                f.detail,
                f.control.fix()
            ));
        }
        if evaluation.findings.is_empty() {
            message.push_str(&format!(" {}", evaluation.annotation));
        }
        return Ok((false, message));
    }
    Ok((
        true,
        format!(
            "artifact-guard: pipeline {pipeline} is COMPLIANT (score {})",
            evaluation.score.unwrap_or(0)
        ),
    ))
}

fn cut(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(limit - 1).collect();
    cut.push('…');
    cut
}
