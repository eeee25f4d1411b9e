//! Least privilege, checked both ways: every AWS operation a function binary can call is allowed
//! by its role in `template.yaml`, and the role allows nothing else.
//!
//! The call list is derived from the built binaries, not written down: the linker keeps only
//! the code reachable from `main` (`--gc-sections`), so the SDK operations whose
//! `FluentBuilder::send` survives in a binary's symbol table are exactly the calls it can make,
//! through whichever adapter. The grants come from the template through cfn-lint's decoder
//! (`tests/iam/template_actions.py`), keyed by each function's `BuildProperties.Binary`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use artifact_guard_tests::{bin, root, run, venv_bin};
use serde_json::Value;

/// SDK operations a binary links but never calls with the function's role.
const NOT_CALLED: [(&str, &str); 4] = [
    // aws-config's credential providers: in Lambda the credentials come from the environment,
    // and these would use other credentials anyway (web identity, SSO), not the role's grants.
    ("sts", "*"),
    ("sso", "*"),
    ("ssooidc", "*"),
    // The S3 client's S3 Express identity provider: directory buckets only; artifact stores are
    // general purpose buckets.
    ("s3", "create_session"),
];

/// Calls a binary makes on purpose through aws-config's STS provider (excluded above as a
/// credential source): config-rule and pipeline-check assume the member accounts' execution
/// role.
const ASSUMES_ROLES: [&str; 2] = ["config-rule", "pipeline-check"];

/// `aws_sdk_<service>::operation::<operation>` names of every operation `binary` can send.
fn sdk_operations(binary: &str) -> BTreeSet<(String, String)> {
    let out = run(Command::new("nm").arg("--demangle").arg(bin(binary)), None);
    assert!(
        out.status.success(),
        "nm {binary}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let symbols = String::from_utf8_lossy(&out.stdout);
    let mut operations = BTreeSet::new();
    for line in symbols.lines() {
        let Some(start) = line.find("aws_sdk_") else {
            continue;
        };
        let path: Vec<&str> = line[start..].split("::").collect();
        // aws_sdk_<service> :: operation :: <operation> :: builders :: <X>FluentBuilder :: send
        if let [service, "operation", operation, "builders", builder, send, ..] = path.as_slice() {
            if builder.ends_with("FluentBuilder") && send.starts_with("send") {
                let service = service.trim_start_matches("aws_sdk_").to_owned();
                operations.insert((service, (*operation).to_owned()));
            }
        }
    }
    operations
}

fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The IAM actions one SDK operation needs (Service Authorization Reference), as this code
/// calls it.
fn iam_actions(service: &str, operation: &str) -> Vec<String> {
    let prefix = match service {
        "resourcegroupstagging" => "tag",
        other => other,
    };
    let renamed: &[&str] = match (service, operation) {
        ("s3", "head_bucket" | "list_objects_v2") => &["s3:ListBucket"],
        ("s3", "list_object_versions") => &["s3:ListBucketVersions"],
        ("s3", "get_bucket_encryption") => &["s3:GetEncryptionConfiguration"],
        ("s3", "put_bucket_encryption") => &["s3:PutEncryptionConfiguration"],
        ("s3", "get_public_access_block") => &["s3:GetBucketPublicAccessBlock"],
        ("s3", "put_public_access_block") => &["s3:PutBucketPublicAccessBlock"],
        // Emptying deletes every version by id.
        ("s3", "delete_objects") => &["s3:DeleteObject", "s3:DeleteObjectVersion"],
        // Keys are created with tags, which needs kms:TagResource too.
        ("kms", "create_key") => &["kms:CreateKey", "kms:TagResource"],
        _ => &[],
    };
    if renamed.is_empty() {
        vec![format!("{prefix}:{}", pascal(operation))]
    } else {
        renamed.iter().map(|a| (*a).to_owned()).collect()
    }
}

/// The IAM actions of the SDK calls `binary` can make (credential providers aside).
fn called_actions(binary: &str) -> BTreeSet<String> {
    sdk_operations(binary)
        .into_iter()
        .filter(|(service, operation)| {
            !NOT_CALLED
                .iter()
                .any(|(s, o)| s == service && (*o == "*" || o == operation))
        })
        .flat_map(|(service, operation)| iam_actions(&service, &operation))
        .collect()
}

fn needed(binary: &str) -> BTreeSet<String> {
    called_actions(binary)
        .into_iter()
        .chain(
            ASSUMES_ROLES
                .contains(&binary)
                .then(|| "sts:AssumeRole".to_owned()),
        )
        .collect()
}

fn granted() -> BTreeMap<String, BTreeSet<String>> {
    granted_in("template.yaml")
}

fn granted_in(template: &str) -> BTreeMap<String, BTreeSet<String>> {
    let out = run(
        Command::new(venv_bin("python"))
            .arg(root().join("tests/iam/template_actions.py"))
            .arg(root().join(template)),
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let functions: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    functions
        .as_object()
        .expect("object")
        .iter()
        .map(|(binary, f)| {
            let actions = f["actions"]
                .as_array()
                .expect("actions")
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            (binary.clone(), actions)
        })
        .collect()
}

#[test]
fn every_call_is_granted_and_nothing_more() {
    let mut granted = granted();
    granted.retain(|name, _| !name.starts_with("role:"));
    let binaries: Vec<&String> = granted.keys().collect();
    assert_eq!(
        binaries,
        [
            "artifact-store",
            "config-rule",
            "pipeline-check",
            "template-hook"
        ],
        "one role per function binary"
    );
    for (binary, allowed) in &granted {
        let needed = needed(binary);
        assert!(
            needed.len() >= 5,
            "{binary}: the symbol scan found the SDK calls: {needed:?}"
        );
        let missing: Vec<&String> = needed.difference(allowed).collect();
        let extra: Vec<&String> = allowed.difference(&needed).collect();
        assert!(
            missing.is_empty(),
            "{binary} calls actions its role does not allow: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "{binary}'s role allows actions the code never calls: {extra:?}"
        );
    }
}

/// What the central functions do in their own account only, never through a member's role:
/// assume the member roles, publish to the central topic, answer the gate action's jobs (a
/// pipeline's Lambda action runs in the pipeline's account, so the gate stays per account).
const CENTRAL_ONLY: [&str; 5] = [
    "sts:AssumeRole",
    "sns:Publish",
    "codepipeline:GetJobDetails",
    "codepipeline:PutJobSuccessResult",
    "codepipeline:PutJobFailureResult",
];

#[test]
fn the_member_role_allows_exactly_what_the_central_functions_do_in_a_member() {
    let member = granted_in("org/member.yaml");
    let role = member
        .get("role:ExecutionRole")
        .unwrap_or_else(|| panic!("org/member.yaml has no ExecutionRole: {member:?}"));
    let needed: BTreeSet<String> = ASSUMES_ROLES
        .iter()
        .flat_map(|binary| needed(binary))
        .filter(|action| !CENTRAL_ONLY.contains(&action.as_str()))
        .collect();
    assert!(needed.len() >= 10, "{needed:?}");
    let missing: Vec<&String> = needed.difference(role).collect();
    let extra: Vec<&String> = role.difference(&needed).collect();
    assert!(
        missing.is_empty(),
        "the functions call in a member what the role does not allow: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "the member role allows what no function calls: {extra:?}"
    );
    // `scan --role-name` reads a member through the same role: everything it calls there is
    // allowed (Organizations and STS are called with the caller's own credentials).
    let scan_reads: BTreeSet<String> = called_actions("artifact-guard")
        .into_iter()
        .filter(|a| !a.starts_with("organizations:") && !a.starts_with("sts:"))
        .collect();
    let not_allowed: Vec<&String> = scan_reads.difference(role).collect();
    assert!(
        not_allowed.is_empty(),
        "scan calls in a member what the role does not allow: {not_allowed:?}"
    );
}

/// The role CloudFormation Hooks assume may only invoke the hook function, and only the Hooks
/// service (of this account) may assume it.
#[test]
fn the_hook_execution_role_invokes_only_the_hook_function() {
    let out = run(
        Command::new(venv_bin("python"))
            .arg(root().join("tests/iam/template_actions.py"))
            .arg(root().join("template.yaml")),
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let role = &all["role:TemplateHookExecutionRole"];
    assert_eq!(
        role["actions"],
        serde_json::json!(["lambda:InvokeFunction"]),
        "{role:#}"
    );
    assert_eq!(
        role["resources"],
        serde_json::json!([{"Fn::GetAtt": ["TemplateHookFunction", "Arn"]}]),
        "{role:#}"
    );
    assert_eq!(
        role["trust"],
        serde_json::json!([{"Service": "hooks.cloudformation.amazonaws.com"}]),
        "{role:#}"
    );
    // Every function's own role is one of the functions, never this one.
    assert_eq!(all["template-hook"]["logical_id"], "TemplateHookFunction");
}

#[test]
fn the_mapping_names_real_actions() {
    assert_eq!(
        iam_actions("s3", "get_bucket_encryption"),
        ["s3:GetEncryptionConfiguration"]
    );
    assert_eq!(
        iam_actions("resourcegroupstagging", "get_resources"),
        ["tag:GetResources"]
    );
    assert_eq!(
        iam_actions("codepipeline", "put_job_success_result"),
        ["codepipeline:PutJobSuccessResult"]
    );
}
