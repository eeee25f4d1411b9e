//! The policies artifact-guard writes: the bucket policy's own statements (merged into whatever
//! policy the bucket already has, replacing only artifact-guard's statements by `Sid`) and the
//! key policy of a key it creates.

use serde_json::{json, Value};

use super::spec::StoreSpec;

/// The `Sid`s artifact-guard owns in a bucket policy.
pub const OWN_SIDS: [&str; 4] = [
    "DenyUnEncryptedObjectUploads",
    "DenyInsecureConnections",
    "DenyOldTls",
    "ArtifactGuardCrossAccountAccess",
];

/// artifact-guard's statements for a bucket.
pub fn own_statements(bucket: &str, partition: &str, spec: &StoreSpec) -> Vec<Value> {
    let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
    let objects = format!("{bucket_arn}/*");
    let mut statements = vec![
        json!({"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*",
               "Action": "s3:PutObject", "Resource": objects,
               "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}),
        json!({"Sid": "DenyInsecureConnections", "Effect": "Deny", "Principal": "*",
               "Action": "s3:*", "Resource": [bucket_arn, objects],
               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    ];
    if spec.enforce_tls12 {
        statements.push(
            json!({"Sid": "DenyOldTls", "Effect": "Deny", "Principal": "*",
            "Action": "s3:*", "Resource": [bucket_arn, objects],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}),
        );
    }
    if !spec.cross_account_principals.is_empty() {
        statements.push(json!({"Sid": "ArtifactGuardCrossAccountAccess", "Effect": "Allow",
            "Principal": {"AWS": principals(partition, &spec.cross_account_principals)},
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": [bucket_arn, objects]}));
    }
    statements
}

/// Account ids become root ARNs; ARNs stay as they are.
fn principals(partition: &str, given: &[String]) -> Vec<String> {
    given
        .iter()
        .map(|p| {
            if p.starts_with("arn:") {
                p.clone()
            } else {
                format!("arn:{partition}:iam::{p}:root")
            }
        })
        .collect()
}

/// Merges artifact-guard's statements into an existing policy: statements with one of
/// [`OWN_SIDS`] are replaced, every other statement (and the policy's `Id`) is kept as it was.
/// An existing policy that is not valid JSON is an error: overwriting it would lose someone's
/// statements.
pub fn merge(existing: Option<&str>, own: Vec<Value>) -> Result<String, String> {
    let mut doc = match existing {
        None => json!({"Version": "2012-10-17", "Statement": []}),
        Some(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| format!("the existing bucket policy is not valid JSON ({e})"))?,
    };
    let kept: Vec<Value> = match doc.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        None => Vec::new(),
        Some(_) => {
            return Err(
                "the existing bucket policy's Statement is neither an object nor a list".into(),
            )
        }
    }
    .into_iter()
    .filter(|s| {
        !s.get("Sid")
            .and_then(Value::as_str)
            .is_some_and(|sid| OWN_SIDS.contains(&sid))
    })
    .collect();
    let obj = doc
        .as_object_mut()
        .ok_or("the existing bucket policy is not a JSON object")?;
    obj.insert("Version".into(), json!("2012-10-17"));
    obj.insert(
        "Statement".into(),
        Value::Array(kept.into_iter().chain(own).collect()),
    );
    serde_json::to_string(&doc).map_err(|e| e.to_string())
}

/// The key policy of a key artifact-guard creates: the account administers it through IAM;
/// `KeyUserArns` and `CrossAccountPrincipals` may use it for artifacts.
pub fn key_policy(partition: &str, account_id: &str, spec: &StoreSpec) -> String {
    let mut statements = vec![json!({"Sid": "EnableIamPolicies", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:{partition}:iam::{account_id}:root")},
        "Action": "kms:*", "Resource": "*"})];
    let users: Vec<String> = spec
        .key_user_arns
        .iter()
        .cloned()
        .chain(principals(partition, &spec.cross_account_principals))
        .collect();
    if !users.is_empty() {
        statements.push(json!({"Sid": "AllowArtifactEncryption", "Effect": "Allow",
            "Principal": {"AWS": users},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*"}));
    }
    json!({"Version": "2012-10-17", "Id": "artifact-guard-key-policy", "Statement": statements})
        .to_string()
}

#[cfg(test)]
mod tests {
    use crate::policy::{Policy, PolicyAnswers};

    use super::*;

    fn spec(props: Value) -> StoreSpec {
        StoreSpec::parse(&props).unwrap()
    }

    #[test]
    fn own_statements_pass_the_engine() {
        let own = own_statements("b", "aws", &spec(json!({})));
        let text = merge(None, own).unwrap();
        let answers = PolicyAnswers::of(&Policy::from_json_text(&text).unwrap(), "arn:aws:s3:::b");
        assert!(answers.unencrypted_uploads.is_denied());
        assert!(answers.insecure_transport.is_denied());
        assert!(answers.old_tls.is_denied());
        let no_tls = merge(
            None,
            own_statements("b", "aws", &spec(json!({"EnforceTls12": "false"}))),
        )
        .unwrap();
        let answers =
            PolicyAnswers::of(&Policy::from_json_text(&no_tls).unwrap(), "arn:aws:s3:::b");
        assert!(!answers.old_tls.is_denied());
    }

    #[test]
    fn merging_replaces_only_artifact_guard_statements() {
        let existing = json!({"Version": "2012-10-17", "Id": "team-policy", "Statement": [
            {"Sid": "TeamRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/reader"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Sid": "DenyInsecureConnections", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::b"}
        ]})
        .to_string();
        let merged: Value = serde_json::from_str(
            &merge(
                Some(&existing),
                own_statements("b", "aws", &spec(json!({}))),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(merged["Id"], "team-policy");
        let statements = merged["Statement"].as_array().unwrap();
        let sids: Vec<&str> = statements
            .iter()
            .map(|s| s["Sid"].as_str().unwrap_or("-"))
            .collect();
        assert_eq!(
            sids,
            vec![
                "TeamRead",
                "-",
                "DenyUnEncryptedObjectUploads",
                "DenyInsecureConnections",
                "DenyOldTls"
            ]
        );
        // The narrower old DenyInsecureConnections was replaced by artifact-guard's s3:* one.
        assert_eq!(statements[3]["Action"], "s3:*");
        // Merging again changes nothing.
        let again = merge(
            Some(&merged.to_string()),
            own_statements("b", "aws", &spec(json!({}))),
        )
        .unwrap();
        assert_eq!(serde_json::from_str::<Value>(&again).unwrap(), merged);
    }

    #[test]
    fn a_single_statement_object_is_kept_and_invalid_json_refused() {
        let single = json!({"Statement": {"Sid": "Keep", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}});
        let merged: Value =
            serde_json::from_str(&merge(Some(&single.to_string()), vec![]).unwrap()).unwrap();
        assert_eq!(merged["Statement"][0]["Sid"], "Keep");
        assert!(merge(Some("{not json"), vec![])
            .unwrap_err()
            .contains("not valid JSON"));
    }

    #[test]
    fn cross_account_principals_get_bucket_and_key_access() {
        let s = spec(
            json!({"CrossAccountPrincipals": ["444455556666"], "KeyUserArns": ["arn:aws:iam::111122223333:role/pipeline"]}),
        );
        let own = own_statements("b", "aws", &s);
        let grant = own
            .iter()
            .find(|st| st["Sid"] == "ArtifactGuardCrossAccountAccess")
            .unwrap();
        assert_eq!(
            grant["Principal"]["AWS"][0],
            "arn:aws:iam::444455556666:root"
        );
        let key: Value = serde_json::from_str(&key_policy("aws", "111122223333", &s)).unwrap();
        assert_eq!(
            key["Statement"][1]["Principal"]["AWS"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            key["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::111122223333:root"
        );
    }
}
