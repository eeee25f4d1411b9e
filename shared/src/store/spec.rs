//! `Custom::EncryptedArtifactStore` properties, parsed and validated at the boundary.
//! CloudFormation sends every scalar as a string, so `"true"` and `"30"` are accepted; every
//! error names the property and says what to write instead.

use crate::quote::{cut, quoted};
use serde_json::{Map, Value};

/// Where the store's KMS key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChoice {
    /// `KmsKeyArn`: an existing key (ARN, alias ARN, alias name or key id).
    Existing(String),
    /// `CreateKey`: a new customer managed key with automatic rotation.
    Create { rotation_period_days: Option<i32> },
    /// `UseAwsManagedKey`: `aws/s3`.
    AwsManaged,
}

/// A validated store specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSpec {
    pub bucket_name: Option<String>,
    pub key: KeyChoice,
    pub key_user_arns: Vec<String>,
    pub cross_account_principals: Vec<String>,
    pub versioning: bool,
    pub enforce_tls12: bool,
    pub retain_on_delete: bool,
    pub empty_on_delete: bool,
    pub key_pending_window_days: i32,
    pub tags: Vec<(String, String)>,
}

/// A property that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("property {property}: {problem}")]
pub struct SpecError {
    pub property: String,
    pub problem: String,
}

fn err(property: &str, problem: impl Into<String>) -> SpecError {
    SpecError {
        property: property.to_owned(),
        problem: problem.into(),
    }
}

const KNOWN: [&str; 14] = [
    "ServiceToken",
    "BucketName",
    "KmsKeyArn",
    "CreateKey",
    "RotationPeriodInDays",
    "UseAwsManagedKey",
    "KeyUserArns",
    "CrossAccountPrincipals",
    "Versioning",
    "EnforceTls12",
    "RetainOnDelete",
    "EmptyOnDelete",
    "KeyPendingWindowInDays",
    "Tags",
];

impl StoreSpec {
    /// Reads `ResourceProperties`.
    pub fn parse(properties: &Value) -> Result<Self, SpecError> {
        let empty = Map::new();
        let props = match properties {
            Value::Object(map) => map,
            Value::Null => &empty,
            _ => return Err(err("ResourceProperties", "must be an object")),
        };
        if let Some(unknown) = props.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(err(
                &cut(unknown),
                format!(
                    "is not a property of Custom::EncryptedArtifactStore; known: {}",
                    KNOWN[1..].join(", ")
                ),
            ));
        }
        let bucket_name = text(props, "BucketName")?
            .map(|n| validate_bucket_name(&n).map(|()| n))
            .transpose()?;
        let kms_key_arn = text(props, "KmsKeyArn")?;
        let create_key = flag(props, "CreateKey")?;
        let aws_managed = flag(props, "UseAwsManagedKey")?.unwrap_or(false);
        let rotation = number(props, "RotationPeriodInDays", 90, 2560)?;
        let key = match (kms_key_arn, create_key, aws_managed) {
            (Some(arn), None | Some(false), false) => KeyChoice::Existing(arn),
            (None, None | Some(true), false) => KeyChoice::Create {
                rotation_period_days: rotation,
            },
            (None, None | Some(false), true) => KeyChoice::AwsManaged,
            (None, Some(false), false) => {
                return Err(err(
                    "CreateKey",
                    "is false but no other key is chosen; set KmsKeyArn or UseAwsManagedKey",
                ))
            }
            _ => {
                return Err(err(
                    "KmsKeyArn",
                    "choose exactly one of KmsKeyArn, CreateKey and UseAwsManagedKey",
                ))
            }
        };
        if rotation.is_some() && !matches!(key, KeyChoice::Create { .. }) {
            return Err(err(
                "RotationPeriodInDays",
                "applies only to a key this resource creates (CreateKey)",
            ));
        }
        let key_user_arns = list(props, "KeyUserArns")?;
        for arn in &key_user_arns {
            if !is_iam_arn(arn) {
                return Err(err(
                    "KeyUserArns",
                    format!("{} is not an IAM role or user ARN", quoted(arn)),
                ));
            }
        }
        let cross_account_principals = list(props, "CrossAccountPrincipals")?;
        for p in &cross_account_principals {
            if !(is_account_id(p) || is_iam_arn(p)) {
                return Err(err(
                    "CrossAccountPrincipals",
                    format!("{} is not an account id or IAM ARN", quoted(p)),
                ));
            }
        }
        if key == KeyChoice::AwsManaged && !cross_account_principals.is_empty() {
            return Err(err(
                "UseAwsManagedKey",
                "cannot be used with CrossAccountPrincipals: other accounts cannot use aws/s3; use CreateKey or KmsKeyArn",
            ));
        }
        Ok(Self {
            bucket_name,
            key,
            key_user_arns,
            cross_account_principals,
            versioning: flag(props, "Versioning")?.unwrap_or(true),
            enforce_tls12: flag(props, "EnforceTls12")?.unwrap_or(true),
            retain_on_delete: flag(props, "RetainOnDelete")?.unwrap_or(true),
            empty_on_delete: flag(props, "EmptyOnDelete")?.unwrap_or(false),
            key_pending_window_days: number(props, "KeyPendingWindowInDays", 7, 30)?.unwrap_or(30),
            tags: tags(props)?,
        })
    }
}

fn text(props: &Map<String, Value>, name: &str) -> Result<Option<String>, SpecError> {
    match props.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(err(name, "must be a string")),
    }
}

fn flag(props: &Map<String, Value>, name: &str) -> Result<Option<bool>, SpecError> {
    match props.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(err(
                name,
                format!("{} is not a boolean; use \"true\" or \"false\"", quoted(s)),
            )),
        },
        Some(_) => Err(err(name, "must be \"true\" or \"false\"")),
    }
}

fn number(
    props: &Map<String, Value>,
    name: &str,
    min: i32,
    max: i32,
) -> Result<Option<i32>, SpecError> {
    let parsed = match props.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<i32>().ok(),
        Some(Value::Number(n)) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
        Some(_) => None,
    };
    match parsed {
        Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(err(
            name,
            format!("must be a whole number from {min} to {max}"),
        )),
    }
}

fn list(props: &Map<String, Value>, name: &str) -> Result<Vec<String>, SpecError> {
    match props.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        // A comma-separated string (a CommaDelimitedList parameter passed through) is a list too.
        Some(Value::String(s)) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(|s| s.trim().to_owned())
                    .ok_or_else(|| err(name, "must be a list of strings"))
            })
            .filter(|r| r.as_ref().map_or(true, |s| !s.is_empty()))
            .collect(),
        Some(_) => Err(err(name, "must be a list of strings")),
    }
}

fn tags(props: &Map<String, Value>) -> Result<Vec<(String, String)>, SpecError> {
    let pairs: Vec<(String, String)> = match props.get("Tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| {
                match (
                    t.get("Key").and_then(Value::as_str),
                    t.get("Value").and_then(Value::as_str),
                ) {
                    (Some(k), Some(v)) => Ok((k.to_owned(), v.to_owned())),
                    _ => Err(err(
                        "Tags",
                        "each tag must be {\"Key\": \"…\", \"Value\": \"…\"}",
                    )),
                }
            })
            .collect::<Result<_, _>>()?,
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|v| (k.clone(), v.to_owned()))
                    .ok_or_else(|| {
                        err(
                            "Tags",
                            format!("tag {} must have a string value", quoted(k)),
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(err(
                "Tags",
                "must be a list of {Key, Value} or an object of strings",
            ))
        }
    };
    for (k, _) in &pairs {
        if k.starts_with("aws:") || k.starts_with("artifact-guard:") {
            return Err(err(
                "Tags",
                format!("tag key {} is reserved (aws:, artifact-guard:)", quoted(k)),
            ));
        }
    }
    if pairs.len() > 40 {
        return Err(err(
            "Tags",
            "at most 40 tags (S3 allows 50; artifact-guard sets 3)",
        ));
    }
    Ok(pairs)
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_iam_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", p, "iam", "", account, resource]
        if p.starts_with("aws") && is_account_id(account) && !resource.is_empty())
}

/// S3's bucket naming rules, with the rule that failed in the message.
pub fn validate_bucket_name(name: &str) -> Result<(), SpecError> {
    let fail = |why: &str| Err(err("BucketName", format!("{} {why}", quoted(name))));
    if !(3..=63).contains(&name.len()) {
        return fail("must be 3 to 63 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return fail("may hold only lower-case letters, digits, '-' and '.'");
    }
    let edges_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !name.bytes().next().is_some_and(edges_ok) || !name.bytes().last().is_some_and(edges_ok) {
        return fail("must begin and end with a letter or digit");
    }
    if name.contains("..") {
        return fail("must not contain two adjacent periods");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return fail("must not look like an IP address");
    }
    if name.starts_with("xn--")
        || name.starts_with("sthree-")
        || name.ends_with("-s3alias")
        || name.ends_with("--ol-s3")
    {
        return fail("uses a prefix or suffix S3 reserves");
    }
    Ok(())
}

/// A valid, stable, lower-case bucket name for a stack's resource: `<stack>-<logical id>-<hash>`,
/// where the hash of the stack id and logical id keeps names unique across stacks and regions
/// and identical across retries of the same request.
pub fn derived_bucket_name(stack_id: &str, logical_id: &str) -> String {
    let stack_name = stack_id.split('/').nth(1).unwrap_or("stack");
    let mut base = String::new();
    for c in format!("{stack_name}-{logical_id}").chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (base.is_empty() || base.ends_with('-'))) {
            base.push(c);
        }
    }
    base.truncate(54);
    let base = base.trim_end_matches('-');
    let base = if base.is_empty() { "artifacts" } else { base };
    format!(
        "{base}-{:08x}",
        fnv1a(format!("{stack_id}/{logical_id}").as_bytes()) as u32
    )
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn defaults_create_a_rotated_key_and_keep_everything_on_delete() {
        let spec = StoreSpec::parse(&json!({"ServiceToken": "arn:aws:lambda:..."})).unwrap();
        assert_eq!(
            spec.key,
            KeyChoice::Create {
                rotation_period_days: None
            }
        );
        assert!(
            spec.versioning && spec.enforce_tls12 && spec.retain_on_delete && !spec.empty_on_delete
        );
        assert_eq!(spec.key_pending_window_days, 30);
    }

    #[test]
    fn cloudformation_strings_are_accepted() {
        let spec = StoreSpec::parse(&json!({
            "BucketName": "my-artifacts", "CreateKey": "true", "RotationPeriodInDays": "180",
            "KeyUserArns": ["arn:aws:iam::111122223333:role/pipeline"],
            "CrossAccountPrincipals": "444455556666, arn:aws:iam::444455556666:role/deploy",
            "Versioning": "false", "EnforceTls12": "FALSE", "RetainOnDelete": "false", "EmptyOnDelete": "true",
            "KeyPendingWindowInDays": "7", "Tags": [{"Key": "team", "Value": "web"}]
        }))
        .unwrap();
        assert_eq!(
            spec.key,
            KeyChoice::Create {
                rotation_period_days: Some(180)
            }
        );
        assert_eq!(spec.cross_account_principals.len(), 2);
        assert!(
            !spec.versioning
                && !spec.enforce_tls12
                && !spec.retain_on_delete
                && spec.empty_on_delete
        );
        assert_eq!(spec.tags, vec![("team".to_owned(), "web".to_owned())]);
        let given =
            StoreSpec::parse(&json!({"KmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/k"}))
                .unwrap();
        assert_eq!(
            given.key,
            KeyChoice::Existing("arn:aws:kms:eu-west-1:111122223333:key/k".into())
        );
        let managed = StoreSpec::parse(&json!({"UseAwsManagedKey": "true"})).unwrap();
        assert_eq!(managed.key, KeyChoice::AwsManaged);
    }

    #[test]
    fn bad_properties_name_themselves() {
        let cases = [
            (json!({"BucketName": "Bad_Name"}), "BucketName"),
            (json!({"BucketName": 5}), "BucketName"),
            (json!({"CreateKey": "yes"}), "CreateKey"),
            (json!({"CreateKey": "false"}), "CreateKey"),
            (
                json!({"KmsKeyArn": "k", "UseAwsManagedKey": "true"}),
                "KmsKeyArn",
            ),
            (json!({"KmsKeyArn": "k", "CreateKey": "true"}), "KmsKeyArn"),
            (
                json!({"UseAwsManagedKey": "true", "CrossAccountPrincipals": ["444455556666"]}),
                "UseAwsManagedKey",
            ),
            (
                json!({"RotationPeriodInDays": "30"}),
                "RotationPeriodInDays",
            ),
            (
                json!({"KmsKeyArn": "k", "RotationPeriodInDays": "365"}),
                "RotationPeriodInDays",
            ),
            (json!({"KeyUserArns": ["not-an-arn"]}), "KeyUserArns"),
            (
                json!({"CrossAccountPrincipals": ["12345"]}),
                "CrossAccountPrincipals",
            ),
            (
                json!({"KeyPendingWindowInDays": "3"}),
                "KeyPendingWindowInDays",
            ),
            (
                json!({"Tags": [{"Key": "aws:cloudformation:x", "Value": "v"}]}),
                "Tags",
            ),
            (json!({"Tags": [{"Name": "x"}]}), "Tags"),
            (json!({"Versoning": "true"}), "Versoning"),
            (json!([1]), "ResourceProperties"),
        ];
        for (props, property) in cases {
            let e = StoreSpec::parse(&props).unwrap_err();
            assert_eq!(e.property, property, "{props}: {e}");
        }
    }

    #[test]
    fn a_gigantic_value_is_not_repeated_in_its_error() {
        let giant = "A".repeat(100_000);
        for props in [
            json!({"BucketName": giant}),
            json!({"KeyUserArns": [giant]}),
            json!({"Versioning": giant}),
            json!({"Tags": [{"Key": format!("aws:{giant}"), "Value": "v"}]}),
            json!({giant.clone(): "x"}),
        ] {
            let message = StoreSpec::parse(&props).unwrap_err().to_string();
            assert!(
                message.len() < 400,
                "{} bytes: {}",
                message.len(),
                &message[..200]
            );
            assert!(
                message.contains("(100000 characters)") || message.contains("(100004 characters)"),
                "{message}"
            );
        }
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in ["abc", "my.artifacts-1", &"a".repeat(63)] {
            assert!(validate_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "abc-s3alias",
            "ABC",
            &"a".repeat(64),
        ] {
            assert!(validate_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn derived_names_are_valid_stable_and_unique() {
        let stack = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Release_Web-Prod/1b2c3d4e-aaaa-bbbb-cccc-1234567890ab";
        let a = derived_bucket_name(stack, "ArtifactStore");
        assert!(a.starts_with("release-web-prod-artifactstore-"), "{a}");
        assert!(validate_bucket_name(&a).is_ok(), "{a}");
        assert_eq!(
            a,
            derived_bucket_name(stack, "ArtifactStore"),
            "stable across retries"
        );
        assert_ne!(a, derived_bucket_name(stack, "OtherStore"));
        let other_stack = stack.replace("1b2c3d4e", "9f9f9f9f");
        assert_ne!(
            a,
            derived_bucket_name(&other_stack, "ArtifactStore"),
            "unique per stack"
        );
        let long = derived_bucket_name(
            &format!("arn:aws:cloudformation:r:1:stack/{}/id", "X".repeat(80)),
            &"Y".repeat(80),
        );
        assert!(validate_bucket_name(&long).is_ok(), "{long}");
    }
}
