//! A CloudFormation Lambda hook invocation, read at the boundary (the request shapes of the
//! CloudFormation Hooks user guide, "Create Lambda functions to evaluate resources for Lambda
//! Hooks"). Every problem names the field.

use serde_json::Value;

/// What is being provisioned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One resource, with the properties CloudFormation resolved.
    Resource {
        type_name: String,
        logical_id: String,
        properties: Value,
    },
    /// A whole stack (or change set): its template is at a presigned S3 URL.
    Template { payload_url: String },
}

/// `actionInvocationPoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    Create,
    Update,
    Delete,
}

/// A read request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRequest {
    pub client_request_token: String,
    pub account_id: String,
    /// `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID`, when the caller is CloudFormation.
    pub stack_id: Option<String>,
    pub point: Point,
    pub target: Target,
}

/// A request that cannot be judged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hook request field {field}: {problem}")]
pub struct RequestError {
    pub field: &'static str,
    pub problem: String,
}

fn missing(field: &'static str) -> RequestError {
    RequestError {
        field,
        problem: "is missing or not a string".into(),
    }
}

/// A field that the guide spells two ways (`clientRequesttoken` and `stackID` in the stack
/// input's syntax, `clientRequestToken` and `stackId` in its examples).
fn text<'a>(event: &'a Value, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| event.get(*n).and_then(Value::as_str))
}

/// The request token alone, for answering a request that cannot be read otherwise.
pub fn client_request_token(event: &Value) -> String {
    text(event, &["clientRequestToken", "clientRequesttoken"])
        .unwrap_or_default()
        .to_owned()
}

impl HookRequest {
    pub fn parse(event: &Value) -> Result<Self, RequestError> {
        let client_request_token = text(event, &["clientRequestToken", "clientRequesttoken"])
            .ok_or_else(|| missing("clientRequestToken"))?
            .to_owned();
        let account_id = text(event, &["awsAccountId"])
            .ok_or_else(|| missing("awsAccountId"))?
            .to_owned();
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RequestError {
                field: "awsAccountId",
                problem: "is not an account id (12 digits)".into(),
            });
        }
        let stack_id = text(event, &["stackId", "stackID"])
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let point = match text(event, &["actionInvocationPoint"]) {
            Some("CREATE_PRE_PROVISION") => Point::Create,
            Some("UPDATE_PRE_PROVISION") => Point::Update,
            Some("DELETE_PRE_PROVISION") => Point::Delete,
            Some(other) => {
                return Err(RequestError {
                    field: "actionInvocationPoint",
                    problem: format!(
                        "{:?} is not CREATE_PRE_PROVISION, UPDATE_PRE_PROVISION or DELETE_PRE_PROVISION",
                        artifact_guard::quote::cut(other)
                    ),
                })
            }
            None => return Err(missing("actionInvocationPoint")),
        };
        let data = event
            .get("requestData")
            .filter(|d| d.is_object())
            .ok_or(RequestError {
                field: "requestData",
                problem: "is missing or not an object".into(),
            })?;
        let target_type =
            text(data, &["targetType"]).ok_or_else(|| missing("requestData.targetType"))?;
        let target = match target_type {
            "STACK" | "CHANGE_SET" => Target::Template {
                payload_url: text(data, &["payload"])
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| missing("requestData.payload"))?
                    .to_owned(),
            },
            _ => {
                // A Cloud Control request says RESOURCE here and names the type in targetName.
                let type_name = match target_type {
                    "RESOURCE" => text(data, &["targetName"])
                        .ok_or_else(|| missing("requestData.targetName"))?,
                    other => other,
                };
                let model = data.get("targetModel");
                let properties = model
                    .and_then(|m| m.get("resourceProperties"))
                    .cloned()
                    .unwrap_or(Value::Null);
                if point != Point::Delete && !properties.is_object() {
                    return Err(RequestError {
                        field: "requestData.targetModel.resourceProperties",
                        problem: "is missing or not an object".into(),
                    });
                }
                Target::Resource {
                    type_name: type_name.to_owned(),
                    logical_id: text(data, &["targetLogicalId"])
                        .unwrap_or("Resource")
                        .to_owned(),
                    properties,
                }
            }
        };
        Ok(Self {
            client_request_token,
            account_id,
            stack_id,
            point,
            target,
        })
    }

    /// The stack's region and name, from its id.
    pub fn stack_region_and_name(&self) -> (Option<&str>, Option<&str>) {
        let Some(id) = &self.stack_id else {
            return (None, None);
        };
        let mut parts = id.split(':');
        let region = parts.nth(3).filter(|r| !r.is_empty());
        let name = id.split('/').nth(1).filter(|n| !n.is_empty());
        (region, name)
    }
}
