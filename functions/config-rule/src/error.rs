//! The rule's one error type, mapped to a stable Lambda `Diagnostic` so that alarms can key on
//! `errorType`: `InvalidEvent` (fix the event or the rule parameters), `Retryable` (Config
//! invokes the rule again: throttling, 5xx, out of time), `RoleNotAssumable` (fix the member
//! account's execution role or its trust policy), `NonRetryable`.

use lambda_runtime::Diagnostic;

use artifact_guard::live::SourceError;

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The event or the rule parameters are malformed.
    #[error("invalid event: {field} {problem}")]
    InvalidEvent { field: String, problem: String },
    /// An AWS call the whole answer depends on failed.
    #[error(transparent)]
    Aws(#[from] SourceError),
    /// Config did not accept some evaluations, twice.
    #[error("config:PutEvaluations rejected {count} evaluation(s) twice, first {resource}; the rule will be retried")]
    Rejected { count: usize, resource: String },
    /// The execution role in the event's account could not be assumed.
    #[error(transparent)]
    Role(#[from] artifact_guard::live::SessionError),
    /// The invocation's deadline came before every evaluation was reported.
    #[error("out of time after {after_ms} ms before every evaluation was reported; Config invokes the rule again (raise the function's Timeout if this repeats)")]
    OutOfTime { after_ms: u128 },
}

impl From<RuleError> for Diagnostic {
    fn from(error: RuleError) -> Self {
        let error_type = match &error {
            RuleError::InvalidEvent { .. } => "InvalidEvent",
            RuleError::Aws(e) if e.retryable() => "Retryable",
            RuleError::Rejected { .. } | RuleError::OutOfTime { .. } => "Retryable",
            RuleError::Aws(_) => "NonRetryable",
            RuleError::Role(_) => "RoleNotAssumable",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}
