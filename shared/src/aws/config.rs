//! AWS Config: configuration items (`BatchGetResourceConfig`, `GetResourceConfigHistory`) and the
//! evaluation sink (`PutEvaluations`).

use std::collections::HashMap;

use aws_sdk_config::types::{
    ComplianceType, Evaluation as SdkEvaluation, ResourceKey, ResourceType,
};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde_json::{json, Value};

use super::{source_error, AwsAccount};
use crate::assess::Evaluation;
use crate::facts::{ConfigurationItem, ResourceKind};
use crate::live::{
    ConfigReader, ErrorKind, EvaluationSink, ItemKey, RejectedEvaluation, SourceError,
};

/// `BatchGetResourceConfig` takes at most 100 keys.
const BATCH: usize = 100;

impl ConfigReader for AwsAccount {
    async fn batch_get(&self, keys: &[ItemKey]) -> Result<Vec<ConfigurationItem>, SourceError> {
        self.batch_get_keys(keys.iter().filter_map(resource_key).collect())
            .await
    }

    async fn latest_item(
        &self,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<ConfigurationItem>, SourceError> {
        self.calls.add();
        let out = self
            .config
            .get_resource_config_history()
            .resource_type(ResourceType::from(kind.config_type()))
            .resource_id(id)
            .limit(1)
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                let error = source_error("config:GetResourceConfigHistory", &e);
                return match error.kind {
                    ErrorKind::NotFound => Ok(None),
                    _ => Err(error),
                };
            }
        };
        let Some(item) = out.configuration_items().first() else {
            return Ok(None);
        };
        let text = api_item(
            item.resource_type().map(|t| t.as_str()),
            item.resource_id(),
            item.resource_name(),
            item.account_id(),
            item.arn(),
            item.aws_region(),
            item.configuration_item_status().map(|s| s.as_str()),
            item.configuration_item_capture_time(),
            item.configuration(),
            item.supplementary_configuration(),
            item.tags(),
        );
        parse(&text, "config:GetResourceConfigHistory").map(Some)
    }
}

impl AwsAccount {
    /// `BatchGetResourceConfig` for any resource types, 100 keys per call.
    pub(super) async fn batch_get_keys(
        &self,
        keys: Vec<ResourceKey>,
    ) -> Result<Vec<ConfigurationItem>, SourceError> {
        let mut items = Vec::new();
        for chunk in keys.chunks(BATCH) {
            let mut pending: Vec<ResourceKey> = chunk.to_vec();
            // Config may leave keys unprocessed under load; ask once more for those.
            for _ in 0..2 {
                if pending.is_empty() {
                    break;
                }
                self.calls.add();
                let out = self
                    .config
                    .batch_get_resource_config()
                    .set_resource_keys(Some(pending))
                    .send()
                    .await
                    .map_err(|e| source_error("config:BatchGetResourceConfig", &e))?;
                for item in out.base_configuration_items() {
                    let text = api_item(
                        item.resource_type().map(|t| t.as_str()),
                        item.resource_id(),
                        item.resource_name(),
                        item.account_id(),
                        item.arn(),
                        item.aws_region(),
                        item.configuration_item_status().map(|s| s.as_str()),
                        item.configuration_item_capture_time(),
                        item.configuration(),
                        item.supplementary_configuration(),
                        None,
                    );
                    items.push(parse(&text, "config:BatchGetResourceConfig")?);
                }
                pending = out.unprocessed_resource_keys().to_vec();
            }
        }
        Ok(items)
    }
}

fn resource_key(key: &ItemKey) -> Option<ResourceKey> {
    ResourceKey::builder()
        .resource_type(ResourceType::from(key.kind.config_type()))
        .resource_id(&key.id)
        .build()
        .ok()
}

/// Rebuilds the API shape as JSON text, so that SDK items are read by exactly the code that
/// reads `aws configservice` output and snapshots.
#[allow(clippy::too_many_arguments)]
fn api_item(
    resource_type: Option<&str>,
    resource_id: Option<&str>,
    resource_name: Option<&str>,
    account_id: Option<&str>,
    arn: Option<&str>,
    region: Option<&str>,
    status: Option<&str>,
    captured: Option<&DateTime>,
    configuration: Option<&str>,
    supplementary: Option<&HashMap<String, String>>,
    tags: Option<&HashMap<String, String>>,
) -> String {
    let mut item = json!({
        "resourceType": resource_type,
        "resourceId": resource_id,
        "resourceName": resource_name,
        "accountId": account_id,
        "arn": arn,
        "awsRegion": region,
        "configurationItemStatus": status,
        "configurationItemCaptureTime": captured.and_then(|t| t.fmt(Format::DateTime).ok()),
        "configuration": configuration,
        "supplementaryConfiguration": supplementary,
    });
    if let Some(tags) = tags {
        item["tags"] = json!(tags);
    }
    Value::to_string(&item)
}

fn parse(text: &str, operation: &'static str) -> Result<ConfigurationItem, SourceError> {
    ConfigurationItem::from_json(text).map_err(|e| SourceError {
        operation,
        kind: ErrorKind::Other,
        message: format!("the configuration item cannot be read: {e}"),
    })
}

/// Writes evaluations with `PutEvaluations`.
#[derive(Debug, Clone)]
pub struct ConfigSink {
    client: aws_sdk_config::Client,
}

impl ConfigSink {
    /// A sink over a Config client.
    pub fn new(client: aws_sdk_config::Client) -> Self {
        Self { client }
    }
}

impl EvaluationSink for ConfigSink {
    async fn put_evaluations(
        &self,
        evaluations: &[Evaluation],
        result_token: &str,
        test_mode: bool,
    ) -> Result<Vec<RejectedEvaluation>, SourceError> {
        let invalid = |message: String| SourceError {
            operation: "config:PutEvaluations",
            kind: ErrorKind::Other,
            message,
        };
        let batch = evaluations
            .iter()
            .map(|e| {
                let at = e.ordering_timestamp.as_deref().unwrap_or_default();
                let timestamp =
                    DateTime::from_str(at, Format::DateTimeWithOffset).map_err(|err| {
                        invalid(format!(
                            "OrderingTimestamp {at:?} of {}: {err}",
                            e.compliance_resource_id
                        ))
                    })?;
                SdkEvaluation::builder()
                    .compliance_resource_type(&*e.compliance_resource_type)
                    .compliance_resource_id(&*e.compliance_resource_id)
                    .compliance_type(ComplianceType::from(e.compliance_type.as_str()))
                    .annotation(&e.annotation)
                    .ordering_timestamp(timestamp)
                    .build()
                    .map_err(|err| invalid(err.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .put_evaluations()
            .set_evaluations(Some(batch))
            .result_token(result_token)
            .test_mode(test_mode)
            .send()
            .await
            .map_err(|e| source_error("config:PutEvaluations", &e))?;
        Ok(out
            .failed_evaluations()
            .iter()
            .map(|f| RejectedEvaluation {
                resource_type: f.compliance_resource_type().to_owned(),
                resource_id: f.compliance_resource_id().to_owned(),
            })
            .collect())
    }
}
