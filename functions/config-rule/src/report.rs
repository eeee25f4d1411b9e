//! Delivering evaluations: `PutEvaluations` takes at most 100 a call. Evaluations Config
//! rejects are sent once more; any still rejected make the invocation fail (Config retries it),
//! never a silent success.

use artifact_guard::live::EvaluationSink;
use artifact_guard::Evaluation;

use crate::error::RuleError;

/// Config's limit per `PutEvaluations` call.
pub const BATCH: usize = 100;

pub async fn report<E: EvaluationSink>(
    sink: &E,
    evaluations: &[Evaluation],
    result_token: &str,
    test_mode: bool,
) -> Result<(), RuleError> {
    let mut rejected = Vec::new();
    for batch in evaluations.chunks(BATCH) {
        rejected.extend(sink.put_evaluations(batch, result_token, test_mode).await?);
    }
    if rejected.is_empty() {
        return Ok(());
    }
    let again: Vec<Evaluation> = evaluations
        .iter()
        .filter(|e| {
            rejected.iter().any(|r| {
                r.resource_type == e.compliance_resource_type
                    && *r.resource_id == *e.compliance_resource_id
            })
        })
        .cloned()
        .collect();
    let mut still = Vec::new();
    for batch in again.chunks(BATCH) {
        still.extend(sink.put_evaluations(batch, result_token, test_mode).await?);
    }
    match still.first() {
        None => Ok(()),
        Some(first) => Err(RuleError::Rejected {
            count: still.len(),
            resource: format!("{} {}", first.resource_type, first.resource_id),
        }),
    }
}
