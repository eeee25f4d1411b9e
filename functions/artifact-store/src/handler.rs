//! Always answer CloudFormation, exactly once: the steps run under a deadline and a panic guard,
//! a failed create is cleaned up, and the one response is delivered with retries.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::provision::{self, Journal, Store};
use crate::request::{Action, Request, RequestError};
use crate::response::{
    deliver, failure_marker, DeliveryError, Envelope, Response, ResponseSender, Status,
};

/// What the handler needs, built once per process.
pub struct Deps<S, R> {
    pub store: S,
    pub sender: R,
}

/// The function's result: what was answered (shown by `cargo lambda invoke`).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Answered {
    pub status: Status,
    pub physical_resource_id: String,
    pub reason: String,
    pub attempts: u32,
}

/// The function's errors, mapped to a stable `errorType`.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// No `ResponseURL`: nothing can be answered.
    #[error(transparent)]
    InvalidEvent(#[from] RequestError),
    /// The answer could not be delivered; Lambda's retry runs the (idempotent) request again.
    #[error(transparent)]
    Undelivered(#[from] DeliveryError),
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        let error_type = match error {
            HandlerError::InvalidEvent(_) => "InvalidEvent",
            HandlerError::Undelivered(_) => "Retryable",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

pub async fn handle<S: Store, R: ResponseSender>(
    event: Value,
    deadline: Instant,
    deps: &Deps<S, R>,
) -> Result<Answered, HandlerError> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    tracing::debug!(
        remaining_ms = u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX),
        "time left"
    );
    // Time kept back for answering (and, for a create, for removing what it made).
    let answer_reserve = (remaining / 4).clamp(Duration::from_millis(500), Duration::from_secs(10));
    let cleanup_reserve = (remaining / 8).clamp(Duration::from_millis(250), Duration::from_secs(5));
    let work_deadline = deadline
        .checked_sub(answer_reserve + cleanup_reserve)
        .unwrap_or_else(Instant::now);

    let response = match Request::parse(&event) {
        Err(RequestError {
            envelope: None,
            field,
            problem,
            ..
        }) => {
            return Err(RequestError {
                field,
                problem,
                envelope: None,
            }
            .into())
        }
        Err(e) => {
            let envelope = e.envelope.as_deref().cloned().unwrap_or_default();
            let physical = event
                .get("PhysicalResourceId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            Response::failed(&envelope, e.to_string(), physical)
        }
        Ok(request) => {
            tracing::trace!(
                request_type = action_name(&request.action),
                "request parsed"
            );
            info!(
                request_type = action_name(&request.action),
                logical_id = %request.envelope.logical_resource_id,
                request_id = %request.envelope.request_id,
                "request"
            );
            answer(
                &request,
                work_deadline,
                deadline
                    .checked_sub(answer_reserve)
                    .unwrap_or(work_deadline),
                deps,
            )
            .await
        }
    };
    let body = response.body();
    let attempts = deliver(&deps.sender, &response_url(&event), &body, deadline).await?;
    info!(status = ?response.status, physical_id = %response.physical_resource_id, attempts, "answered");
    Ok(Answered {
        status: response.status,
        physical_resource_id: response.physical_resource_id,
        reason: response.reason,
        attempts,
    })
}

fn response_url(event: &Value) -> String {
    event
        .get("ResponseURL")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn action_name(action: &Action) -> &'static str {
    match action {
        Action::Create => "Create",
        Action::Update { .. } => "Update",
        Action::Delete { .. } => "Delete",
    }
}

/// Runs the steps; turns an error, a timeout or a panic into a FAILED response, after removing
/// what a failed create or rename made.
async fn answer<S: Store, R>(
    request: &Request,
    work_deadline: Instant,
    cleanup_deadline: Instant,
    deps: &Deps<S, R>,
) -> Response {
    let journal = Journal::default();
    // Boxed: the steps' future is deep, and boxing it keeps the handler's type within the
    // compiler's layout depth.
    let steps =
        AssertUnwindSafe(Box::pin(provision::run(&deps.store, request, &journal))).catch_unwind();
    let outcome = match tokio::time::timeout_at(work_deadline, steps).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(panic)) => Err(format!(
            "internal error while {}: {}",
            journal.step.get(),
            panic_text(&panic)
        )),
        Err(_) => Err(format!("timed out while {}", journal.step.get())),
    };
    let envelope: &Envelope = &request.envelope;
    match outcome {
        Ok(done) => {
            Response::success(envelope, done.physical_id, done.data).with_reason(done.reason)
        }
        Err(reason) => {
            let mut reason = reason;
            let made_something =
                journal.created_bucket.borrow().is_some() || journal.created_key.borrow().is_some();
            if made_something {
                let cleaned = tokio::time::timeout_at(
                    cleanup_deadline,
                    provision::clean_up(&deps.store, &journal),
                )
                .await;
                match cleaned {
                    Ok(Ok(())) => reason.push_str(" (what this request created was removed)"),
                    Ok(Err(left)) => reason.push_str(&format!(" ({left})")),
                    Err(_) => reason.push_str(" (removing what this request created timed out)"),
                }
            }
            warn!(%reason, "failed");
            // A failed create answers with a marker id that the later Delete recognises; an
            // update or delete keeps the id CloudFormation holds.
            let physical = match &request.action {
                Action::Create => failure_marker(&request.envelope.request_id),
                Action::Update { physical_id, .. } | Action::Delete { physical_id } => {
                    physical_id.clone()
                }
            };
            Response::failed(envelope, reason, physical)
        }
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

impl Response {
    fn with_reason(mut self, reason: String) -> Self {
        self.reason = reason;
        self
    }
}
