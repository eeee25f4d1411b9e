//! The boundary: a Config rule event, parsed once into what the handler acts on. Past this
//! module nothing sees raw JSON. Every error names the field and what to send instead.

use aws_lambda_events::event::config::ConfigEvent;
use serde::Deserialize;
use serde_json::value::RawValue;

use artifact_guard::facts::{ConfigurationItem, ResourceKind};
use artifact_guard::quote::quoted;
use artifact_guard::RuleParameters;

use crate::error::RuleError;

/// What triggered the invocation.
#[derive(Debug)]
pub enum Trigger {
    /// A configuration item change (possibly a deletion).
    Change(Box<ConfigurationItem>),
    /// The item was too large for the event: fetch it.
    Oversized {
        resource_type: String,
        resource_id: String,
        /// Set when the summary already says the resource is deleted or not recorded.
        gone_status: Option<String>,
        captured_at: Option<String>,
    },
    /// The periodic sweep, at this notification time (RFC 3339).
    Periodic { notification_time: String },
}

impl Trigger {
    /// The Config message type that carries this trigger.
    pub fn message_type(&self) -> &'static str {
        match self {
            Self::Change(_) => "ConfigurationItemChangeNotification",
            Self::Oversized { .. } => "OversizedConfigurationItemChangeNotification",
            Self::Periodic { .. } => "ScheduledNotification",
        }
    }
}

/// A parsed Config rule invocation.
#[derive(Debug)]
pub struct RuleRequest {
    pub trigger: Trigger,
    pub parameters: RuleParameters,
    pub result_token: String,
    pub test_mode: bool,
    pub left_scope: bool,
    pub account_id: Option<String>,
    /// The partition of the rule's ARN (`aws`, `aws-cn`, `aws-us-gov`), when the event names
    /// the rule.
    pub partition: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvokingEvent {
    message_type: Option<String>,
    configuration_item: Option<Box<RawValue>>,
    configuration_item_summary: Option<Summary>,
    notification_creation_time: Option<String>,
    aws_account_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    resource_type: Option<String>,
    resource_id: Option<String>,
    configuration_item_status: Option<String>,
    configuration_item_capture_time: Option<String>,
}

fn invalid(field: &str, problem: impl Into<String>) -> RuleError {
    RuleError::InvalidEvent {
        field: field.to_owned(),
        problem: problem.into(),
    }
}

impl TryFrom<ConfigEvent> for RuleRequest {
    type Error = RuleError;

    fn try_from(event: ConfigEvent) -> Result<Self, RuleError> {
        let parameters = RuleParameters::from_json(event.rule_parameters.as_deref().unwrap_or(""))
            .map_err(|e| invalid(&format!("ruleParameters.{}", e.parameter), e.problem))?;
        let result_token = event
            .result_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                invalid(
                    "resultToken",
                    "is missing; Config sends it with every rule invocation",
                )
            })?;
        let text = event
            .invoking_event
            .ok_or_else(|| invalid("invokingEvent", "is missing"))?;
        let invoking: InvokingEvent = serde_json::from_str(&text).map_err(|e| {
            invalid(
                "invokingEvent",
                format!("is not the JSON Config sends ({e})"),
            )
        })?;
        let message_type = invoking.message_type.as_deref().unwrap_or_default();
        let trigger = match message_type {
            "ConfigurationItemChangeNotification" => {
                let raw = invoking
                    .configuration_item
                    .ok_or_else(|| invalid("invokingEvent.configurationItem", "is missing"))?;
                let item = ConfigurationItem::from_json(raw.get())
                    .map_err(|e| invalid("invokingEvent.configurationItem", e.to_string()))?;
                Trigger::Change(Box::new(item))
            }
            "OversizedConfigurationItemChangeNotification" => {
                let summary = invoking.configuration_item_summary.ok_or_else(|| {
                    invalid("invokingEvent.configurationItemSummary", "is missing")
                })?;
                let resource_type = summary.resource_type.ok_or_else(|| {
                    invalid(
                        "invokingEvent.configurationItemSummary.resourceType",
                        "is missing",
                    )
                })?;
                let resource_id = summary.resource_id.ok_or_else(|| {
                    invalid(
                        "invokingEvent.configurationItemSummary.resourceId",
                        "is missing",
                    )
                })?;
                let gone_status = summary.configuration_item_status.filter(|s| {
                    matches!(
                        s.as_str(),
                        "ResourceDeleted" | "ResourceDeletedNotRecorded" | "ResourceNotRecorded"
                    )
                });
                Trigger::Oversized {
                    resource_type,
                    resource_id,
                    gone_status,
                    captured_at: summary.configuration_item_capture_time,
                }
            }
            "ScheduledNotification" => Trigger::Periodic {
                notification_time: invoking.notification_creation_time.ok_or_else(|| {
                    invalid("invokingEvent.notificationCreationTime", "is missing")
                })?,
            },
            other => {
                return Err(invalid(
                    "invokingEvent.messageType",
                    format!(
                        "{} is not handled; expected ConfigurationItemChangeNotification, \
                         OversizedConfigurationItemChangeNotification or ScheduledNotification",
                        quoted(other)
                    ),
                ))
            }
        };
        Ok(Self {
            trigger,
            parameters,
            test_mode: result_token == "TESTMODE",
            result_token,
            left_scope: event.event_left_scope,
            account_id: event.account_id.or(invoking.aws_account_id),
            partition: event
                .config_rule_arn
                .as_deref()
                .and_then(|arn| arn.split(':').nth(1))
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        })
    }
}

/// The kind for a resource type, if artifact-guard assesses it.
pub fn kind_of(resource_type: &str) -> Option<ResourceKind> {
    ResourceKind::from_config_type(resource_type)
}
