//! A CloudFormation custom resource request, read from raw JSON so that even a malformed request
//! whose `ResponseURL` can be found is answered (a typed event that failed to deserialize would
//! leave the stack waiting for an hour).

use serde_json::Value;

use crate::response::Envelope;
use crate::spec::{SpecError, StoreSpec};

/// What CloudFormation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create,
    /// The physical id (bucket name) CloudFormation holds, and the previous properties.
    Update {
        physical_id: String,
        old: Box<Value>,
    },
    Delete {
        physical_id: String,
    },
}

/// A request past the boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub action: Action,
    pub envelope: Envelope,
    /// `ResourceProperties`, parsed (an error is answered FAILED, except on Delete).
    pub spec: Result<StoreSpec, SpecError>,
}

/// Why a request cannot be handled; `envelope` is set when the request can still be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid request: {field} {problem}")]
pub struct RequestError {
    pub field: &'static str,
    pub problem: String,
    /// Boxed: the error travels through `Result`s and is rare.
    pub envelope: Option<Box<Envelope>>,
}

fn field(event: &Value, name: &str) -> Option<String> {
    event
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Request {
    pub fn parse(event: &Value) -> Result<Self, RequestError> {
        let Some(response_url) = field(event, "ResponseURL") else {
            return Err(RequestError {
                field: "ResponseURL",
                problem: "is missing, so no answer can be sent".into(),
                envelope: None,
            });
        };
        let envelope = Envelope {
            response_url,
            stack_id: field(event, "StackId").unwrap_or_default(),
            request_id: field(event, "RequestId").unwrap_or_default(),
            logical_resource_id: field(event, "LogicalResourceId").unwrap_or_default(),
        };
        let fail = |field: &'static str, problem: &str| RequestError {
            field,
            problem: problem.to_owned(),
            envelope: Some(Box::new(envelope.clone())),
        };
        for (name, value) in [
            ("StackId", &envelope.stack_id),
            ("RequestId", &envelope.request_id),
            ("LogicalResourceId", &envelope.logical_resource_id),
        ] {
            if value.is_empty() {
                return Err(fail(name, "is missing"));
            }
        }
        let physical_id = || {
            field(event, "PhysicalResourceId")
                .ok_or_else(|| fail("PhysicalResourceId", "is missing"))
        };
        let action = match event.get("RequestType").and_then(Value::as_str) {
            Some("Create") => Action::Create,
            Some("Update") => Action::Update {
                physical_id: physical_id()?,
                old: Box::new(
                    event
                        .get("OldResourceProperties")
                        .cloned()
                        .unwrap_or(Value::Null),
                ),
            },
            Some("Delete") => Action::Delete {
                physical_id: physical_id()?,
            },
            _ => return Err(fail("RequestType", "must be Create, Update or Delete")),
        };
        let spec = StoreSpec::parse(event.get("ResourceProperties").unwrap_or(&Value::Null));
        Ok(Self {
            action,
            envelope,
            spec,
        })
    }

    /// The stack's account id and region, from the stack ARN.
    pub fn account_and_region(&self) -> (String, String) {
        let parts: Vec<&str> = self.envelope.stack_id.split(':').collect();
        (
            parts.get(4).copied().unwrap_or_default().to_owned(),
            parts.get(3).copied().unwrap_or_default().to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event() -> Value {
        json!({"RequestType": "Update", "ResponseURL": "https://r/x?sig=1",
               "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/s/1", "RequestId": "r1",
               "LogicalResourceId": "Store", "PhysicalResourceId": "bucket-1",
               "ResourceProperties": {"ServiceToken": "arn", "Versioning": "true"},
               "OldResourceProperties": {"ServiceToken": "arn"}})
    }

    #[test]
    fn the_sample_events_parse() {
        for (text, expected) in [
            (
                include_str!("../../../events/artifact-store/create.json"),
                "create",
            ),
            (
                include_str!("../../../events/artifact-store/update.json"),
                "update",
            ),
            (
                include_str!("../../../events/artifact-store/delete.json"),
                "delete",
            ),
        ] {
            let r = Request::parse(&serde_json::from_str(text).unwrap()).unwrap();
            assert!(r.spec.is_ok(), "{expected}: {:?}", r.spec);
            let name = match r.action {
                Action::Create => "create",
                Action::Update { .. } => "update",
                Action::Delete { .. } => "delete",
            };
            assert_eq!(name, expected);
        }
    }

    #[test]
    fn reads_every_request_type() {
        let r = Request::parse(&event()).unwrap();
        assert!(
            matches!(r.action, Action::Update { ref physical_id, .. } if physical_id == "bucket-1")
        );
        assert_eq!(
            r.account_and_region(),
            ("111122223333".into(), "eu-west-1".into())
        );
        assert!(r.spec.is_ok());
        let mut e = event();
        e["RequestType"] = json!("Delete");
        assert!(matches!(
            Request::parse(&e).unwrap().action,
            Action::Delete { .. }
        ));
    }

    #[test]
    fn malformed_requests_keep_what_is_needed_to_answer() {
        let mut e = event();
        e["RequestType"] = json!("Upsert");
        let err = Request::parse(&e).unwrap_err();
        assert_eq!(err.field, "RequestType");
        assert_eq!(err.envelope.unwrap().request_id, "r1");
        let mut e = event();
        e.as_object_mut().unwrap().remove("PhysicalResourceId");
        assert_eq!(Request::parse(&e).unwrap_err().field, "PhysicalResourceId");
        let mut e = event();
        e.as_object_mut().unwrap().remove("ResponseURL");
        let err = Request::parse(&e).unwrap_err();
        assert!(err.envelope.is_none());
        let mut e = event();
        e["ResourceProperties"]["Versioning"] = json!("maybe");
        assert_eq!(
            Request::parse(&e).unwrap().spec.unwrap_err().property,
            "Versioning"
        );
    }
}
