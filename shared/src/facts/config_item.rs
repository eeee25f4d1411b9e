//! AWS Config configuration items, in both shapes AWS produces, turned into facts.
//!
//! - Notification/snapshot shape: `awsAccountId`, `ARN`, `configuration` as an object, most
//!   `supplementaryConfiguration` values objects.
//! - API shape (`GetResourceConfigHistory`, `BatchGetResourceConfig`): `accountId`, `arn`,
//!   `configuration` and every supplementary value as JSON strings, some encoded twice.
//!
//! `configuration` and `supplementaryConfiguration` stay raw until the resource type says they
//! matter, so skipping the thousands of other resources in a snapshot costs one scan each.
//! Only a missing identity (`resourceType`, `resourceId`) is an error; a field that is missing or
//! malformed makes the affected fact `Unknown`, which the controls treat as failing.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::policy::{Policy, PolicyAnswers};
use crate::quote::quoted;

use super::{
    kms_word, tags_mark_artifact_store, AccountFacts, Action, ArtifactStore, BucketFacts,
    DefaultEncryption, Fact, Field, KeyFacts, KeyManager, KeyRef, PipelineDocument, PipelineFacts,
    PublicAccessBlock, ResourceFacts, ResourceKind, Stage, StoreKey, Subject, Versioning,
    ACCOUNT_PART_TYPES,
};

/// One configuration item, either shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationItem {
    /// `resourceType`, e.g. `AWS::S3::Bucket`.
    pub resource_type: Option<String>,
    /// `resourceId`.
    pub resource_id: Option<String>,
    /// `resourceName`.
    pub resource_name: Option<String>,
    /// `accountId` (API shape; some notifications carry it too).
    account_id: Option<String>,
    /// `awsAccountId` (notification shape).
    aws_account_id: Option<String>,
    /// `arn` (API shape).
    arn: Option<String>,
    /// `ARN` (notification shape).
    #[serde(rename = "ARN")]
    arn_upper: Option<String>,
    /// `awsRegion`.
    pub aws_region: Option<String>,
    /// `configurationItemStatus`.
    pub configuration_item_status: Option<String>,
    /// `configurationItemCaptureTime`: RFC 3339 text, or epoch seconds.
    pub configuration_item_capture_time: Option<Value>,
    configuration: Option<Box<RawValue>>,
    supplementary_configuration: Option<Box<RawValue>>,
    tags: Option<Box<RawValue>>,
}

/// A configuration item that cannot be assessed at all. The message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {field}: {problem}")]
pub struct ItemError {
    /// The field, e.g. `resourceId`.
    pub field: &'static str,
    /// What is wrong and what is expected.
    pub problem: String,
}

const GONE_STATUSES: [&str; 3] = [
    "ResourceDeleted",
    "ResourceDeletedNotRecorded",
    "ResourceNotRecorded",
];

impl ConfigurationItem {
    /// Parses an item from JSON text (for example a Config event's `configurationItem`).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The resource's ARN, in either shape.
    pub fn arn(&self) -> Option<&str> {
        self.arn.as_deref().or(self.arn_upper.as_deref())
    }

    /// Whether the item carries tags (the notification shape does; `BatchGetResourceConfig`'s
    /// base items do not).
    pub fn has_tags(&self) -> bool {
        self.tags.is_some()
    }

    /// Attaches tags read elsewhere (`ListTagsForResource`).
    pub fn set_tags(&mut self, tags: &[(Box<str>, Box<str>)]) {
        let map: Map<String, Value> = tags
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect();
        self.tags = serde_json::value::to_raw_value(&map).ok();
    }

    /// The capture time as RFC 3339 text, if present and readable.
    pub fn capture_time_text(&self) -> Option<String> {
        capture_time(self.configuration_item_capture_time.as_ref())
            .ok()
            .flatten()
            .map(|t| t.to_string())
    }

    /// The facts of this item; `Ok(None)` for resource types artifact-guard does not assess.
    pub fn into_facts(self) -> Result<Option<(Subject, ResourceFacts)>, ItemError> {
        self.facts()
    }

    /// [`ConfigurationItem::into_facts`], keeping the item (to name it in an error).
    pub fn facts(&self) -> Result<Option<(Subject, ResourceFacts)>, ItemError> {
        let resource_type = self.resource_type.as_deref().ok_or(ItemError {
            field: "resourceType",
            problem: "is missing; every configuration item names its resource type".into(),
        })?;
        if ACCOUNT_PART_TYPES.contains(&resource_type) {
            return self.account_piece(resource_type).map(Some);
        }
        let Some(kind) =
            ResourceKind::from_config_type(resource_type).filter(|k| *k != ResourceKind::Account)
        else {
            return Ok(None);
        };
        let id = self
            .resource_id
            .as_deref()
            .filter(|id| !id.is_empty())
            .ok_or(ItemError {
                field: "resourceId",
                problem: format!("is missing on a {resource_type} item"),
            })?;
        let subject = Subject {
            kind,
            id: id.into(),
            account_id: self
                .aws_account_id
                .as_deref()
                .or(self.account_id.as_deref())
                .map(Arc::from),
            region: self.aws_region.as_deref().map(Arc::from),
            captured_at: capture_time(self.configuration_item_capture_time.as_ref())?,
        };
        if let Some(status) = self
            .configuration_item_status
            .as_deref()
            .filter(|s| GONE_STATUSES.contains(s))
        {
            let reason = format!("configuration item status is {status}");
            return Ok(Some((subject, ResourceFacts::Gone(reason.into()))));
        }
        let facts = match kind {
            ResourceKind::Bucket => ResourceFacts::Bucket(self.bucket_facts(&subject).boxed()),
            ResourceKind::Key => ResourceFacts::Key(self.key_facts(&subject).boxed()),
            ResourceKind::Pipeline => {
                ResourceFacts::Pipeline(self.pipeline_facts(&subject).boxed())
            }
            ResourceKind::Account => return Ok(None),
        };
        Ok(Some((subject, facts)))
    }

    /// A trail, VPC endpoint or build project: a piece of its account's facts, filed under the
    /// account (in the item's region) for the inventory to join with the other pieces.
    fn account_piece(&self, resource_type: &str) -> Result<(Subject, ResourceFacts), ItemError> {
        let account = self
            .aws_account_id
            .as_deref()
            .or(self.account_id.as_deref())
            .filter(|a| !a.is_empty())
            .ok_or(ItemError {
                field: "accountId",
                problem: format!(
                    "is missing on a {resource_type} item; its account's controls need it"
                ),
            })?;
        let id = self.resource_id.as_deref().unwrap_or_default();
        let subject = Subject {
            kind: ResourceKind::Account,
            id: account.into(),
            account_id: Some(account.into()),
            region: self.aws_region.as_deref().map(Arc::from),
            captured_at: capture_time(self.configuration_item_capture_time.as_ref())?,
        };
        let deleted = self
            .configuration_item_status
            .as_deref()
            .is_some_and(|s| GONE_STATUSES.contains(&s));
        let facts = AccountFacts::from_item(resource_type, id, self.configuration(), deleted);
        Ok((
            subject,
            ResourceFacts::Account(Fact::Known(Box::new(facts))),
        ))
    }

    fn configuration(&self) -> Result<Map<String, Value>, Box<str>> {
        match self.configuration.as_deref().map(decode) {
            Some(Value::Object(map)) => Ok(map),
            Some(_) => Err("configuration is not a JSON object".into()),
            None => Err("the configuration item has no configuration".into()),
        }
    }

    fn supplementary(&self) -> Supplementary<'_> {
        let Some(raw) = self.supplementary_configuration.as_deref() else {
            return Supplementary::Decoded(Map::new());
        };
        // Each field stays raw until asked for: a bucket's ACL, lifecycle and notification
        // settings are never looked at. (The API shape may encode the whole object as a string.)
        match serde_json::from_str::<BTreeMap<String, &RawValue>>(raw.get()) {
            Ok(fields) => Supplementary::Raw(fields),
            Err(_) => match decode(raw) {
                Value::Object(map) => Supplementary::Decoded(map),
                _ => Supplementary::Decoded(Map::new()),
            },
        }
    }

    fn tags(&self) -> Option<Vec<(Box<str>, Box<str>)>> {
        match self.tags.as_deref().map(decode)? {
            Value::Object(map) => Some(
                map.into_iter()
                    .map(|(k, v)| (k.into_boxed_str(), scalar_text(&v)))
                    .collect(),
            ),
            _ => None,
        }
    }

    fn bucket_facts(&self, subject: &Subject) -> Fact<BucketFacts> {
        let name = self.resource_name.as_deref().unwrap_or(&subject.id);
        let arn = self
            .arn_upper
            .as_deref()
            .or(self.arn.as_deref())
            .map_or_else(|| format!("arn:aws:s3:::{name}"), str::to_owned);
        let supplementary = self.supplementary();
        let field = |key: &str| supplementary.get(key);
        let mut tags = self.tags().unwrap_or_default();
        if let Some(Value::Object(tagging)) = field("BucketTaggingConfiguration") {
            tags.extend(bucket_tag_sets(&tagging));
        }
        // Items captured before 2023 leave ServerSideEncryptionConfiguration out when the bucket
        // has no default encryption; an item that carries other supplementary fields but not
        // this one says exactly that. An item with none at all says nothing.
        let encryption = match field("ServerSideEncryptionConfiguration") {
            None if !supplementary.is_empty() => Fact::Known(None),
            sse => encryption(sse),
        };
        Fact::Known(BucketFacts {
            name: name.into(),
            encryption,
            policy: match field("BucketPolicy") {
                None => Fact::unknown("supplementaryConfiguration.BucketPolicy is missing"),
                Some(Value::Null) => BucketFacts::policy_from_text(None, &arn),
                Some(Value::Object(p)) => {
                    match p.get("policyText").map(|t| decode_value(t.clone())) {
                        None | Some(Value::Null) => BucketFacts::policy_from_text(None, &arn),
                        Some(Value::String(text)) => {
                            BucketFacts::policy_from_text(Some(&text), &arn)
                        }
                        Some(doc) => match Policy::from_value(&doc) {
                            Ok(policy) => Fact::Known(PolicyAnswers::of(&policy, &arn)),
                            Err(e) => {
                                Fact::unknown(format!("the bucket policy cannot be read: {e}"))
                            }
                        },
                    }
                }
                Some(_) => {
                    Fact::unknown("supplementaryConfiguration.BucketPolicy is not an object")
                }
            },
            versioning: versioning(field("BucketVersioningConfiguration")),
            public_access_block: public_access_block(field("PublicAccessBlockConfiguration")),
            tagged_artifact_store: tags_mark_artifact_store(tags.iter().map(|(k, v)| (&**k, &**v))),
        })
    }

    fn key_facts(&self, subject: &Subject) -> Fact<KeyFacts> {
        let config = match self.configuration() {
            Ok(c) => c,
            Err(reason) => return Fact::Unknown(reason),
        };
        let text = |keys: &[&str]| -> Fact<Cow<'static, str>> {
            keys.iter()
                .find_map(|k| config.get(*k).and_then(Value::as_str))
                .map_or_else(
                    || Fact::unknown(format!("configuration.{} is missing", keys[0])),
                    |v| Fact::Known(kms_word(v)),
                )
        };
        let manager = match text(&["keyManager"]) {
            Fact::Known(m) if &*m == "AWS" => Fact::Known(KeyManager::Aws),
            Fact::Known(m) if &*m == "CUSTOMER" => Fact::Known(KeyManager::Customer),
            Fact::Known(m) => Fact::unknown(format!(
                "configuration.keyManager {} is not AWS or CUSTOMER",
                quoted(&m)
            )),
            Fact::Unknown(r) => Fact::Unknown(r),
        };
        let supplementary = self.supplementary();
        let rotation = match supplementary.get("KeyRotationStatus") {
            Some(Value::Bool(b)) => Fact::Known(b),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Fact::Known(true),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Fact::Known(false),
            Some(_) => {
                Fact::unknown("supplementaryConfiguration.KeyRotationStatus is not a boolean")
            }
            None => Fact::unknown("supplementaryConfiguration.KeyRotationStatus is missing"),
        };
        // Items from select-resource-config carry a key's tags only as
        // supplementaryConfiguration.Tags: [{tagKey, tagValue}].
        let mut tags = self.tags().unwrap_or_default();
        if let Some(Value::Array(listed)) = supplementary.get("Tags") {
            tags.extend(listed.iter().filter_map(|tag| {
                let key = tag.get("tagKey").or_else(|| tag.get("TagKey"))?.as_str()?;
                let value = tag.get("tagValue").or_else(|| tag.get("TagValue"))?;
                Some((key.into(), scalar_text(value)))
            }));
        }
        Fact::Known(KeyFacts {
            key_id: config
                .get("keyId")
                .and_then(Value::as_str)
                .unwrap_or(&subject.id)
                .into(),
            spec: text(&["keySpec", "customerMasterKeySpec"]),
            usage: text(&["keyUsage"]),
            state: text(&["keyState"]),
            manager,
            origin: text(&["origin"]),
            custom_key_store: config
                .get("customKeyStoreId")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()),
            rotation_enabled: rotation,
            tagged_artifact_store: tags_mark_artifact_store(tags.iter().map(|(k, v)| (&**k, &**v))),
            policy: None,
        })
    }

    fn pipeline_facts(&self, subject: &Subject) -> Fact<PipelineFacts> {
        let mut config = match self.configuration() {
            Ok(c) => c,
            Err(reason) => return Fact::Unknown(reason),
        };
        let declaration = match config.remove("pipeline") {
            Some(p) => decode_value(p),
            None => Value::Object(config),
        };
        match pipeline_document(&declaration, &subject.id, self.tags()) {
            Ok(doc) => Fact::Known(PipelineFacts::from_document(
                doc,
                subject.account_id.as_deref(),
            )),
            Err(reason) => {
                Fact::unknown(format!("configuration.pipeline cannot be read: {reason}"))
            }
        }
    }
}

/// Reads a pipeline declaration as `GetPipeline` returns it (`pipeline`), with `tags` when known.
pub fn pipeline_document(
    declaration: &Value,
    default_name: &str,
    tags: Option<Vec<(Box<str>, Box<str>)>>,
) -> Result<PipelineDocument, String> {
    let obj = declaration.as_object().ok_or("not a JSON object")?;
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(default_name);
    let mut stores = Vec::new();
    if let Some(store) = obj.get("artifactStore").filter(|v| !v.is_null()) {
        stores.push(artifact_store(store, None).map_err(|e| format!("artifactStore: {e}"))?);
    }
    if let Some(map) = obj.get("artifactStores").filter(|v| !v.is_null()) {
        let map = map.as_object().ok_or("artifactStores is not an object")?;
        for (region, store) in map {
            stores.push(
                artifact_store(store, Some(region))
                    .map_err(|e| format!("artifactStores.{region}: {e}"))?,
            );
        }
    }
    if stores.is_empty() {
        return Err("neither artifactStore nor artifactStores is set".into());
    }
    let stages = obj
        .get("stages")
        .and_then(Value::as_array)
        .ok_or("stages is missing")?
        .iter()
        .enumerate()
        .map(|(i, s)| stage(s).map_err(|e| format!("stages[{i}]: {e}")))
        .collect::<Result<_, _>>()?;
    let mut fields = Vec::new();
    for (key, value) in obj {
        // Stores, stages and names are read above; every other member is free-form text.
        if !matches!(
            key.as_str(),
            "name"
                | "artifactStore"
                | "artifactStores"
                | "stages"
                | "roleArn"
                | "version"
                | "executionMode"
                | "pipelineType"
        ) {
            free_form_fields(value, key, key, &mut fields);
        }
    }
    Ok(PipelineDocument {
        name: name.into(),
        role_arn: obj.get("roleArn").and_then(Value::as_str).map(Box::from),
        stores,
        stages,
        tags: tags.map_or_else(
            || Fact::unknown("the configuration item carries no tags"),
            Fact::Known,
        ),
        fields,
    })
}

/// Every string under `value` as a [`Field`] at `path`, named by its key; a pipeline variable
/// (`{"name", "defaultValue", "description"}`) is named by the variable's name.
fn free_form_fields(value: &Value, path: &str, name: &str, out: &mut Vec<Field>) {
    match value {
        Value::String(text) => out.push(Field {
            place: path.into(),
            name: name.into(),
            value: text.as_str().into(),
        }),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                free_form_fields(item, &format!("{path}[{i}]"), name, out);
            }
        }
        Value::Object(map) => {
            let variable = map
                .get("name")
                .and_then(Value::as_str)
                .filter(|_| map.contains_key("defaultValue") || map.contains_key("description"));
            for (key, child) in map {
                match variable {
                    Some(var) if key == "defaultValue" => {
                        free_form_fields(child, &format!("variable {var} default value"), var, out)
                    }
                    Some(var) if key == "description" => {
                        free_form_fields(child, &format!("variable {var} description"), key, out)
                    }
                    _ => free_form_fields(child, &format!("{path}.{key}"), key, out),
                }
            }
        }
        Value::Bool(_) | Value::Number(_) | Value::Null => {}
    }
}

fn artifact_store(value: &Value, region: Option<&str>) -> Result<ArtifactStore, String> {
    let text = |k: &str| value.get(k).and_then(Value::as_str).map(Box::from);
    let encryption_key = match value.get("encryptionKey").filter(|v| !v.is_null()) {
        None => None,
        Some(key) => Some(StoreKey {
            key_type: key.get("type").and_then(Value::as_str).unwrap_or("").into(),
            key: KeyRef::parse(
                key.get("id")
                    .and_then(Value::as_str)
                    .ok_or("encryptionKey.id is missing")?,
            ),
        }),
    };
    Ok(ArtifactStore {
        region: region.map(Box::from),
        store_type: text("type").ok_or("type is missing")?,
        location: text("location").ok_or("location is missing")?,
        encryption_key,
    })
}

fn stage(value: &Value) -> Result<Stage, String> {
    let actions = value
        .get("actions")
        .and_then(Value::as_array)
        .ok_or("actions is missing")?
        .iter()
        .map(|a| {
            let type_id = a.get("actionTypeId").or_else(|| a.get("actionType"));
            Action {
                name: a.get("name").and_then(Value::as_str).unwrap_or("").into(),
                provider: type_id
                    .and_then(|t| t.get("provider"))
                    .and_then(Value::as_str)
                    .map(Box::from),
                role_arn: a.get("roleArn").and_then(Value::as_str).map(Box::from),
                configuration: match a.get("configuration") {
                    Some(Value::Object(map)) => map
                        .iter()
                        .map(|(k, v)| (k.as_str().into(), scalar_text(v)))
                        .collect(),
                    _ => Vec::new(),
                },
            }
        })
        .collect();
    Ok(Stage {
        name: value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .into(),
        actions,
    })
}

fn encryption(value: Option<Value>) -> Fact<Option<DefaultEncryption>> {
    let Some(value) = value else {
        return Fact::unknown(
            "supplementaryConfiguration.ServerSideEncryptionConfiguration is missing",
        );
    };
    if value.is_null() {
        return Fact::Known(None);
    }
    let Some(rules) = value.get("rules").and_then(Value::as_array) else {
        return Fact::unknown("ServerSideEncryptionConfiguration.rules is missing");
    };
    let Some(default) = rules.iter().find_map(|r| {
        r.get("applyServerSideEncryptionByDefault")
            .filter(|d| !d.is_null())
    }) else {
        return Fact::Known(None);
    };
    match default.get("sseAlgorithm").and_then(Value::as_str) {
        None => Fact::unknown("applyServerSideEncryptionByDefault.sseAlgorithm is missing"),
        Some(algorithm) => Fact::Known(Some(DefaultEncryption {
            algorithm: algorithm.into(),
            key: default
                .get("kmsMasterKeyID")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty())
                .map(KeyRef::parse),
        })),
    }
}

fn versioning(value: Option<Value>) -> Fact<Versioning> {
    match value
        .as_ref()
        .and_then(|v| v.get("status"))
        .and_then(Value::as_str)
    {
        Some("Enabled") => Fact::Known(Versioning::Enabled),
        Some("Suspended") => Fact::Known(Versioning::Suspended),
        Some("Off") => Fact::Known(Versioning::Off),
        Some(other) => Fact::unknown(format!(
            "BucketVersioningConfiguration.status {} is not Enabled, Suspended or Off",
            quoted(other)
        )),
        None => Fact::unknown(
            "supplementaryConfiguration.BucketVersioningConfiguration.status is missing",
        ),
    }
}

fn public_access_block(value: Option<Value>) -> Fact<PublicAccessBlock> {
    // Config omits the key when no bucket-level block is configured: that is "nothing blocked".
    let Some(Value::Object(map)) = value else {
        return Fact::Known(PublicAccessBlock::default());
    };
    let flag = |k: &str| {
        matches!(map.get(k), Some(Value::Bool(true)))
            || map
                .get(k)
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("true"))
    };
    Fact::Known(PublicAccessBlock {
        block_public_acls: flag("blockPublicAcls"),
        ignore_public_acls: flag("ignorePublicAcls"),
        block_public_policy: flag("blockPublicPolicy"),
        restrict_public_buckets: flag("restrictPublicBuckets"),
    })
}

fn bucket_tag_sets(tagging: &Map<String, Value>) -> Vec<(Box<str>, Box<str>)> {
    tagging
        .get("tagSets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|set| set.get("tags").and_then(Value::as_object))
        .flatten()
        .map(|(k, v)| (k.as_str().into(), scalar_text(v)))
        .collect()
}

fn capture_time(value: Option<&Value>) -> Result<Option<Arc<str>>, ItemError> {
    use aws_smithy_types::date_time::{DateTime, Format};
    let bad = |problem: String| ItemError {
        field: "configurationItemCaptureTime",
        problem,
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::from_str(s, Format::DateTimeWithOffset)
            .map(|_| Some(s.as_str().into()))
            .map_err(|e| bad(format!("{} is not an RFC 3339 time ({e})", quoted(s)))),
        Some(Value::Number(n)) => {
            let secs = n
                .as_f64()
                .ok_or_else(|| bad(format!("{n} is not a number of seconds")))?;
            // Whole milliseconds: Config's precision, and free of float noise such as .430999.
            #[allow(clippy::cast_possible_truncation)]
            let millis = (secs * 1000.0).round() as i64;
            DateTime::from_millis(millis)
                .fmt(Format::DateTime)
                .map(|s| Some(s.into()))
                .map_err(|e| bad(format!("{n} is out of range ({e})")))
        }
        Some(other) => Err(bad(format!(
            "{other} is neither RFC 3339 text nor epoch seconds"
        ))),
    }
}

/// `supplementaryConfiguration`, its fields decoded when asked for.
enum Supplementary<'a> {
    Raw(BTreeMap<String, &'a RawValue>),
    Decoded(Map<String, Value>),
}

impl Supplementary<'_> {
    /// The field `key`, decoded (strings that hold JSON unwrapped).
    fn get(&self, key: &str) -> Option<Value> {
        match self {
            Self::Raw(fields) => fields.get(key).map(|raw| decode(raw)),
            Self::Decoded(map) => map.get(key).map(|v| decode_value(v.clone())),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Self::Raw(fields) => fields.is_empty(),
            Self::Decoded(map) => map.is_empty(),
        }
    }
}

/// Parses raw JSON and unwraps strings that hold JSON (the API shape encodes some values twice).
fn decode(raw: &RawValue) -> Value {
    decode_value(serde_json::from_str(raw.get()).unwrap_or(Value::Null))
}

fn decode_value(mut value: Value) -> Value {
    for _ in 0..3 {
        let Value::String(text) = &value else { break };
        let trimmed = text.trim_start();
        if !(trimmed.starts_with('{') || trimmed.starts_with('[') || trimmed.starts_with('"')) {
            break;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(inner) => value = inner,
            Err(_) => break,
        }
    }
    value
}

fn scalar_text(value: &Value) -> Box<str> {
    match value {
        Value::String(s) => s.as_str().into(),
        Value::Null => "".into(),
        other => other.to_string().into(),
    }
}

#[cfg(test)]
#[path = "config_item_tests.rs"]
mod tests;
