//! The two events this function receives, told apart at the boundary: an EventBridge
//! "AWS API Call via CloudTrail" record, or a CodePipeline job (the gate action). A job event
//! carries `artifactCredentials`: only its id is read, and nothing of it is ever logged.

use artifact_guard::quote::quoted;
use serde_json::Value;

/// A parsed event.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `CreatePipeline` or `UpdatePipeline` of CodePipeline, which succeeded.
    PipelineChange(PipelineChange),
    /// Anything else that arrived on the rule: skipped, with the reason.
    Skip(String),
    /// A CodePipeline job for the gate action.
    Job { id: String },
}

impl Event {
    /// What kind of event this is, for the logs (never its content).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PipelineChange(_) => "pipeline change",
            Self::Skip(_) => "skipped",
            Self::Job { .. } => "gate job",
        }
    }
}

/// What the CloudTrail record says about the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineChange {
    pub event_name: String,
    pub pipeline: String,
    pub account_id: Option<String>,
    /// `requestParameters.pipeline`: the declaration as sent, used when `GetPipeline` fails.
    pub requested: Option<Value>,
    /// `requestParameters.tags` (CreatePipeline only).
    pub requested_tags: Option<Vec<(Box<str>, Box<str>)>>,
}

/// Why an event cannot be handled at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid event: {field} {problem}")]
pub struct EventError {
    pub field: &'static str,
    pub problem: String,
}

impl Event {
    pub fn parse(event: &Value) -> Result<Self, EventError> {
        if let Some(job) = event.get("CodePipeline.job") {
            let id = job
                .get("id")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            return id
                .map(|id| Self::Job { id: id.to_owned() })
                .ok_or(EventError {
                    field: "CodePipeline.job.id",
                    problem: "is missing".into(),
                });
        }
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let detail_type = text(event, "detail-type").unwrap_or_default();
        if detail_type != "AWS API Call via CloudTrail" {
            return Ok(Self::Skip(format!(
                "detail-type {} is not a CloudTrail API call",
                quoted(&detail_type)
            )));
        }
        let detail = event.get("detail").ok_or(EventError {
            field: "detail",
            problem: "is missing".into(),
        })?;
        let source = text(detail, "eventSource").unwrap_or_default();
        let name = text(detail, "eventName").unwrap_or_default();
        if source != "codepipeline.amazonaws.com" {
            return Ok(Self::Skip(format!(
                "{} from {} is not a CodePipeline call (Data Pipeline also has CreatePipeline)",
                quoted(&name),
                quoted(&source)
            )));
        }
        if !matches!(name.as_str(), "CreatePipeline" | "UpdatePipeline") {
            return Ok(Self::Skip(format!(
                "{} does not create or update a pipeline",
                quoted(&name)
            )));
        }
        if let Some(code) = text(detail, "errorCode") {
            return Ok(Self::Skip(format!(
                "{} failed with {}: nothing changed",
                quoted(&name),
                quoted(&code)
            )));
        }
        let requested = detail
            .get("requestParameters")
            .and_then(|p| p.get("pipeline"))
            .cloned();
        let pipeline = requested
            .as_ref()
            .and_then(|p| text(p, "name"))
            .or_else(|| {
                detail
                    .get("responseElements")
                    .and_then(|r| r.get("pipeline"))
                    .and_then(|p| text(p, "name"))
            })
            .ok_or(EventError {
                field: "detail.requestParameters.pipeline.name",
                problem: "is missing".into(),
            })?;
        if !is_pipeline_name(&pipeline) {
            return Err(EventError {
                field: "detail.requestParameters.pipeline.name",
                problem: format!(
                    "{} is not a pipeline name (1 to 100 of A-Z a-z 0-9 . @ - _)",
                    quoted(&pipeline)
                ),
            });
        }
        let requested_tags = detail
            .get("requestParameters")
            .and_then(|p| p.get("tags"))
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| {
                        Some((
                            Box::from(t.get("key")?.as_str()?),
                            Box::from(t.get("value")?.as_str()?),
                        ))
                    })
                    .collect()
            });
        let account_id = text(detail, "recipientAccountId").or_else(|| text(event, "account"));
        Ok(Self::PipelineChange(PipelineChange {
            event_name: name,
            pipeline,
            account_id,
            requested,
            requested_tags,
        }))
    }
}

/// CodePipeline's pattern for pipeline names: `[A-Za-z0-9.@\-_]+`, at most 100 characters.
fn is_pipeline_name(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn sample_events_are_classified() {
        let create = Event::parse(&load(include_str!(
            "../../../events/pipeline-check/create-pipeline.json"
        )))
        .unwrap();
        let Event::PipelineChange(change) = create else {
            panic!("a pipeline change: {create:?}")
        };
        assert_eq!(
            (change.event_name.as_str(), change.pipeline.as_str()),
            ("CreatePipeline", "release-web")
        );
        assert!(change.requested.is_some());
        assert_eq!(change.requested_tags.map(|t| t.len()), Some(1));
        assert!(matches!(
            Event::parse(&load(include_str!("../../../events/pipeline-check/update-pipeline.json"))).unwrap(),
            Event::PipelineChange(PipelineChange { ref event_name, .. }) if event_name == "UpdatePipeline"
        ));
        assert_eq!(
            Event::parse(&load(include_str!(
                "../../../events/pipeline-check/datapipeline-create.json"
            )))
            .unwrap(),
            Event::Skip(
                "\"CreatePipeline\" from \"datapipeline.amazonaws.com\" is not a CodePipeline call \
                 (Data Pipeline also has CreatePipeline)"
                    .into()
            )
        );
        assert_eq!(
            Event::parse(&load(include_str!(
                "../../../events/pipeline-check/failed-call.json"
            )))
            .unwrap(),
            Event::Skip(
                "\"UpdatePipeline\" failed with \"AccessDeniedException\": nothing changed".into()
            )
        );
        let job = Event::parse(&load(include_str!(
            "../../../events/pipeline-check/job.json"
        )))
        .unwrap();
        assert_eq!(
            job,
            Event::Job {
                id: "11111111-abcd-1111-abcd-111111abcdef".into()
            }
        );
    }

    #[test]
    fn malformed_events_name_the_field() {
        let e = Event::parse(&serde_json::json!({"CodePipeline.job": {}})).unwrap_err();
        assert_eq!(e.field, "CodePipeline.job.id");
        let e = Event::parse(&serde_json::json!({"detail-type": "AWS API Call via CloudTrail",
            "detail": {"eventSource": "codepipeline.amazonaws.com", "eventName": "CreatePipeline", "requestParameters": {}}})).unwrap_err();
        assert_eq!(e.field, "detail.requestParameters.pipeline.name");
        assert_eq!(
            Event::parse(&serde_json::json!({"hello": 1})).unwrap(),
            Event::Skip("detail-type \"\" is not a CloudTrail API call".into())
        );
    }

    #[test]
    fn skip_reasons_repeat_at_most_64_characters_of_each_value() {
        let long = "N".repeat(100_000);
        let event = serde_json::json!({"detail-type": "AWS API Call via CloudTrail",
            "detail": {"eventSource": long, "eventName": long}});
        let Event::Skip(reason) = Event::parse(&event).unwrap() else {
            panic!("skipped")
        };
        assert!(reason.len() < 400, "{} characters", reason.len());
        assert_eq!(reason.matches("(100000 characters)").count(), 2, "{reason}");
        let event = serde_json::json!({"detail-type": "AWS API Call via CloudTrail",
            "detail": {"eventSource": "codepipeline.amazonaws.com", "eventName": long}});
        let Event::Skip(reason) = Event::parse(&event).unwrap() else {
            panic!("skipped")
        };
        assert!(
            reason.len() < 200 && reason.contains("(100000 characters)"),
            "{reason}"
        );
        let event = serde_json::json!({"detail-type": "AWS API Call via CloudTrail",
            "detail": {"eventSource": "codepipeline.amazonaws.com", "eventName": "CreatePipeline",
                "errorCode": long}});
        let Event::Skip(reason) = Event::parse(&event).unwrap() else {
            panic!("skipped")
        };
        assert!(
            reason.len() < 200 && reason.contains("(100000 characters)"),
            "{reason}"
        );
    }
}
