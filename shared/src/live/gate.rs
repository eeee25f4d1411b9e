//! Ports for acting on pipelines: stage transitions (to stop artifacts flowing through an
//! unprotected pipeline), CodePipeline job results (the gate action), and notifications.

use super::SourceError;

/// The inbound transition of one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTransition {
    /// Stage name.
    pub stage: String,
    /// Whether artifacts may enter the stage.
    pub inbound_enabled: bool,
    /// Why it was disabled, as given to `DisableStageTransition`.
    pub disabled_reason: Option<String>,
}

#[allow(async_fn_in_trait)]
/// Reads and changes stage transitions.
pub trait TransitionControl {
    /// Every stage's inbound transition, in pipeline order (`GetPipelineState`).
    async fn stage_transitions(&self, pipeline: &str) -> Result<Vec<StageTransition>, SourceError>;
    /// `DisableStageTransition` (Inbound).
    async fn disable_inbound(
        &self,
        pipeline: &str,
        stage: &str,
        reason: &str,
    ) -> Result<(), SourceError>;
    /// `EnableStageTransition` (Inbound).
    async fn enable_inbound(&self, pipeline: &str, stage: &str) -> Result<(), SourceError>;
}

#[allow(async_fn_in_trait)]
/// Answers a CodePipeline job.
pub trait JobResults {
    /// The pipeline a job runs in (`GetJobDetails`).
    async fn job_pipeline(&self, job_id: &str) -> Result<String, SourceError>;
    /// `PutJobSuccessResult`.
    async fn put_job_success(&self, job_id: &str, summary: &str) -> Result<(), SourceError>;
    /// `PutJobFailureResult` (`JobFailed`).
    async fn put_job_failure(&self, job_id: &str, message: &str) -> Result<(), SourceError>;
}

#[allow(async_fn_in_trait)]
/// Sends a message people read.
pub trait Notifier {
    /// `Publish` to a topic.
    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), SourceError>;
}
