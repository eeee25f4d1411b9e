//! CodePipeline transitions and job results, and SNS notifications.

use aws_sdk_codepipeline::types::{
    ExecutionDetails, FailureDetails, FailureType, StageTransitionType,
};

use super::source_error;
use crate::live::{
    ErrorKind, JobResults, Notifier, SourceError, StageTransition, TransitionControl,
};

/// Pipeline transitions and job results over one CodePipeline client.
#[derive(Debug, Clone)]
pub struct PipelineControl {
    client: aws_sdk_codepipeline::Client,
}

impl PipelineControl {
    /// Builds the client from the shared SDK configuration.
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            client: aws_sdk_codepipeline::Client::new(sdk),
        }
    }

    /// Over a client built elsewhere (tests hand in mocked ones).
    pub fn from_client(client: aws_sdk_codepipeline::Client) -> Self {
        Self { client }
    }
}

fn invalid(operation: &'static str, message: impl Into<String>) -> SourceError {
    SourceError {
        operation,
        kind: ErrorKind::Other,
        message: message.into(),
    }
}

impl TransitionControl for PipelineControl {
    async fn stage_transitions(&self, pipeline: &str) -> Result<Vec<StageTransition>, SourceError> {
        let out = self
            .client
            .get_pipeline_state()
            .name(pipeline)
            .send()
            .await
            .map_err(|e| source_error("codepipeline:GetPipelineState", &e))?;
        Ok(out
            .stage_states()
            .iter()
            .map(|s| StageTransition {
                stage: s.stage_name().unwrap_or_default().to_owned(),
                inbound_enabled: s.inbound_transition_state().is_none_or(|t| t.enabled()),
                disabled_reason: s
                    .inbound_transition_state()
                    .and_then(|t| t.disabled_reason())
                    .map(str::to_owned),
            })
            .collect())
    }

    async fn disable_inbound(
        &self,
        pipeline: &str,
        stage: &str,
        reason: &str,
    ) -> Result<(), SourceError> {
        self.client
            .disable_stage_transition()
            .pipeline_name(pipeline)
            .stage_name(stage)
            .transition_type(StageTransitionType::Inbound)
            .reason(reason)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| source_error("codepipeline:DisableStageTransition", &e))
    }

    async fn enable_inbound(&self, pipeline: &str, stage: &str) -> Result<(), SourceError> {
        self.client
            .enable_stage_transition()
            .pipeline_name(pipeline)
            .stage_name(stage)
            .transition_type(StageTransitionType::Inbound)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| source_error("codepipeline:EnableStageTransition", &e))
    }
}

impl JobResults for PipelineControl {
    async fn job_pipeline(&self, job_id: &str) -> Result<String, SourceError> {
        let out = self
            .client
            .get_job_details()
            .job_id(job_id)
            .send()
            .await
            .map_err(|e| source_error("codepipeline:GetJobDetails", &e))?;
        out.job_details()
            .and_then(|d| d.data())
            .and_then(|d| d.pipeline_context())
            .and_then(|c| c.pipeline_name())
            .map(str::to_owned)
            .ok_or_else(|| invalid("codepipeline:GetJobDetails", "the job names no pipeline"))
    }

    async fn put_job_success(&self, job_id: &str, summary: &str) -> Result<(), SourceError> {
        self.client
            .put_job_success_result()
            .job_id(job_id)
            .execution_details(
                ExecutionDetails::builder()
                    .summary(summary)
                    .percent_complete(100)
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| source_error("codepipeline:PutJobSuccessResult", &e))
    }

    async fn put_job_failure(&self, job_id: &str, message: &str) -> Result<(), SourceError> {
        let details = FailureDetails::builder()
            .r#type(FailureType::JobFailed)
            .message(message)
            .build()
            .map_err(|e| invalid("codepipeline:PutJobFailureResult", e.to_string()))?;
        self.client
            .put_job_failure_result()
            .job_id(job_id)
            .failure_details(details)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| source_error("codepipeline:PutJobFailureResult", &e))
    }
}

/// Notifications through SNS.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: aws_sdk_sns::Client,
}

impl SnsNotifier {
    /// Builds the client from the shared SDK configuration.
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            client: aws_sdk_sns::Client::new(sdk),
        }
    }
}

impl Notifier for SnsNotifier {
    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), SourceError> {
        self.client
            .publish()
            .topic_arn(topic_arn)
            .subject(subject)
            .message(message)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| source_error("sns:Publish", &e))
    }
}
