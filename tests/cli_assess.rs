//! `artifact-guard assess` end to end: the built binary on snapshot files.

use std::io::Write;

use artifact_guard_tests::{artifact_guard, root};
use flate2::write::GzEncoder;
use serde_json::Value;

const SNAPSHOT: &str = "examples/snapshot.json";

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn evaluations(o: &std::process::Output) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(o)));
    doc["evaluations"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no evaluations list: {doc}"))
}

fn find<'a>(evals: &'a [Value], id: &str) -> &'a Value {
    evals
        .iter()
        .find(|e| e["ComplianceResourceId"] == id)
        .unwrap_or_else(|| panic!("{id} not reported"))
}

#[test]
fn the_example_snapshot_as_json() {
    let o = artifact_guard(
        &["assess", "--snapshot", SNAPSHOT, "--format", "json"],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "non-compliant resources exit 1; stderr: {}",
        stderr(&o)
    );
    let evals = evaluations(&o);
    assert_eq!(
        evals.len(),
        17,
        "buckets, keys, pipelines and the account; the security group and IAM items are skipped"
    );
    // The account, from its trail, VPC endpoint and build project items: Config records no
    // trail's logging status, so the required control is UNKNOWN, naming the call that would
    // tell; the build project in a VPC without a CodePipeline endpoint is named.
    let account = find(&evals, "111122223333");
    assert_eq!(account["ComplianceResourceType"], "AWS::::Account");
    assert_eq!(account["ComplianceType"], "NON_COMPLIANT");
    let status = |control: &str| -> (String, String) {
        let f = account["Findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["Control"] == control)
            .unwrap_or_else(|| panic!("{control}: {account}"));
        (
            f["Status"].as_str().unwrap_or_default().to_owned(),
            f["Detail"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let (trail, why) = status("account-cloudtrail");
    assert_eq!(trail, "UNKNOWN");
    assert!(why.contains("cloudtrail:GetTrailStatus"), "{why}");
    let (endpoint, which) = status("account-codepipeline-endpoint");
    assert_eq!(endpoint, "FAIL");
    assert_eq!(
        which,
        "vpc-0e5f6a7b (used by CodeBuild project integration-tests): no \
         com.amazonaws.eu-west-1.codepipeline endpoint"
    );
    let web = find(&evals, "release-web");
    assert_eq!(web["ComplianceResourceType"], "AWS::CodePipeline::Pipeline");
    // Each resource names the account and region its item came from.
    assert_eq!(web["AccountId"], "111122223333");
    assert_eq!(web["Region"], "eu-west-1");
    assert_eq!(web["ComplianceType"], "COMPLIANT");
    // 6 of 7 pass: a snapshot carries no key policy, so whether the pipeline's role may use
    // its store's key (pipeline-key-grants, advisory) is unknown, naming the call that tells.
    assert_eq!(web["Score"], 85);
    assert_eq!(web["OrderingTimestamp"], "2026-11-02T09:15:27.431Z");
    let findings = web["Findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 8);
    let grants = findings
        .iter()
        .find(|f| f["Control"] == "pipeline-key-grants")
        .expect("pipeline-key-grants");
    assert_eq!(grants["Status"], "UNKNOWN");
    assert!(
        grants["Detail"]
            .as_str()
            .is_some_and(|d| d.contains("kms:GetKeyPolicy")),
        "{grants}"
    );
    for f in findings {
        for field in ["Control", "Status", "Required", "Detail"] {
            assert!(f.get(field).is_some(), "finding lacks {field}: {f}");
        }
    }
    let legacy = find(&evals, "legacy-artifacts");
    assert_eq!(legacy["ComplianceType"], "NON_COMPLIANT");
    assert!(legacy["Annotation"]
        .as_str()
        .expect("annotation")
        .starts_with("bucket-sse-kms FAIL"));
    assert_eq!(find(&evals, "signer")["ComplianceType"], "NON_COMPLIANT");
    assert_eq!(
        find(&evals, "team-logs")["ComplianceType"],
        "NOT_APPLICABLE"
    );
    assert_eq!(find(&evals, "team-logs")["Score"], Value::Null);
    let mirror = find(&evals, "mirror").to_string();
    assert!(
        !mirror.contains("ghp_EXAMPLE") && !mirror.contains("npm_EXAMPLE"),
        "secrets leaked: {mirror}"
    );
    assert!(
        !stdout(&o).contains("jane.doe@example.com"),
        "e-mail address leaked"
    );
    for e in &evals {
        assert!(
            e["Annotation"]
                .as_str()
                .expect("annotation")
                .chars()
                .count()
                <= 256
        );
    }
}

#[test]
fn the_example_snapshot_as_a_table_matches_the_golden_file() {
    let o = artifact_guard(
        &["assess", "--snapshot", SNAPSHOT, "--format", "table"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    // Only `make golden` writes the file, never a test run: a test that rewrites what it
    // compares against cannot fail.
    let golden_path = root().join("tests/fixtures/golden/example-table.txt");
    let golden =
        std::fs::read_to_string(&golden_path).expect("golden file (`make golden` writes it)");
    assert_eq!(
        stdout(&o),
        golden,
        "after an intended change, run `make golden`"
    );
}

#[test]
fn exit_zero_when_nothing_is_non_compliant() {
    let params = r#"{"exemptResources": "legacy-artifacts,legacy-batch,signing-artifacts,6d1c0f7a-33aa-4b6e-8f2d-9c8b7a6f5e4d,signer,shared-deploy,nightly-report,mirror,a3f9c2d1-7e6b-4a5c-8d9e-0f1a2b3c4d5e,111122223333"}"#;
    let o = artifact_guard(
        &[
            "assess",
            "--snapshot",
            SNAPSHOT,
            "--format",
            "json",
            "--parameters",
            params,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(evaluations(&o)
        .iter()
        .all(|e| e["ComplianceType"] != "NON_COMPLIANT"));
}

#[test]
fn reads_gzip_and_standard_input() {
    let plain = std::fs::read(root().join(SNAPSHOT)).expect("example snapshot");
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).expect("compress");
    let gz = gz.finish().expect("compress");
    let o = artifact_guard(
        &["assess", "--snapshot", "-", "--format", "json"],
        Some(&gz),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(evaluations(&o).len(), 17);
}

#[test]
fn scope_all_assesses_every_bucket() {
    let o = artifact_guard(
        &[
            "assess",
            "--snapshot",
            SNAPSHOT,
            "--format",
            "json",
            "--parameters",
            r#"{"scope":"all"}"#,
        ],
        None,
    );
    assert_eq!(
        find(&evaluations(&o), "team-logs")["ComplianceType"],
        "NON_COMPLIANT"
    );
}

fn fails_with(args: &[&str], stdin: Option<&[u8]>, expected: &[&str]) {
    let o = artifact_guard(args, stdin);
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {} stderr: {}",
        stdout(&o),
        stderr(&o)
    );
    let err = stderr(&o);
    for part in expected {
        assert!(err.contains(part), "stderr {err:?} lacks {part:?}");
    }
}

#[test]
fn unreadable_input_exits_two_naming_file_item_and_field() {
    let assess = |stdin: &[u8], expected: &[&str]| {
        fails_with(
            &["assess", "--snapshot", "-", "--format", "json"],
            Some(stdin),
            expected,
        )
    };
    assess(b"{\"configurationItems\": [", &["-:", "EOF", "line 1"]);
    assess(b"[1, 2]", &["at [0]", "expected struct ConfigurationItem"]);
    assess(
        br#"{"configurationItems": [{"resourceType": "AWS::S3::Bucket", "resourceId": "a"}, {"resourceType": "AWS::S3::Bucket"}]}"#,
        &["configurationItems[1]", "AWS::S3::Bucket ?", "resourceId"],
    );
    assess(
        br#"{"configurationItems": [{"resourceType": "AWS::S3::Bucket", "resourceId": 7}]}"#,
        &["configurationItems[0].resourceId", "invalid type"],
    );
    assess(
        br#"{"fileVersion": "1.0"}"#,
        &["no configurationItems list"],
    );
    let mut bad_gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    bad_gzip.extend_from_slice(b"not deflate at all");
    assess(&bad_gzip, &["cannot read the file"]);
    assess(&[0xff, 0xfe, 0x00, 0x41], &["-:"]);
    fails_with(
        &["assess", "--snapshot", "no/such/file.json"],
        None,
        &["no/such/file.json", "cannot open"],
    );
}

#[test]
fn bad_usage_exits_two() {
    fails_with(
        &[
            "assess",
            "--snapshot",
            SNAPSHOT,
            "--parameters",
            r#"{"scope":"everything"}"#,
        ],
        None,
        &["rule parameter scope", "artifact-stores"],
    );
    fails_with(
        &[
            "assess",
            "--snapshot",
            SNAPSHOT,
            "--parameters",
            "@missing.json",
        ],
        None,
        &["missing.json"],
    );
    fails_with(
        &["assess", "--snapshot", SNAPSHOT, "--format", "yaml"],
        None,
        &["yaml"],
    );
    fails_with(&["assess"], None, &["--snapshot"]);
    fails_with(&["frobnicate"], None, &["frobnicate"]);
}

/// A fresh directory under the system's temporary directory, removed first if left over.
pub(crate) fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("artifact-guard-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn gzip_to(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("directories");
    let mut gz = GzEncoder::new(
        std::fs::File::create(path).expect("create"),
        flate2::Compression::fast(),
    );
    gz.write_all(text.as_bytes()).expect("write");
    gz.finish().expect("finish");
}

const MEMBER: &str = "444455556666";

/// An organization's Config delivery folder: the example account and a member whose snapshot is
/// the example with the member's account id (so every pipeline name repeats across accounts).
pub(crate) fn organization_folder(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let example = std::fs::read_to_string(root().join(SNAPSHOT)).expect("example snapshot");
    for account in ["111122223333", MEMBER] {
        let text = example.replace("111122223333", account);
        let file = dir.join(format!(
            "AWSLogs/{account}/Config/eu-west-1/2026/11/2/ConfigSnapshot/{account}_Config_eu-west-1_ConfigSnapshot_20261102T091527Z_x.json.gz"
        ));
        gzip_to(&file, &text);
        // What else Config writes there, and a stray file: neither is read.
        std::fs::write(
            dir.join(format!(
                "AWSLogs/{account}/Config/ConfigWritabilityCheckFile"
            )),
            "{}",
        )
        .expect("write");
    }
    std::fs::write(dir.join("README.txt"), "not a snapshot").expect("write");
    dir
}

#[test]
fn an_organizations_delivery_folder_is_judged_account_by_account() {
    let dir = organization_folder("org-folder");
    let o = artifact_guard(
        &[
            "assess",
            "--snapshot",
            &dir.to_string_lossy(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(&o));
    let evals = evaluations(&o);
    let count = |kind: &str| {
        evals
            .iter()
            .filter(|e| e["ComplianceResourceType"] == kind)
            .count()
    };
    // Pipelines and keys are per account; a bucket name is global, so each bucket once, but
    // for the console's default bucket, whose name carries the account id.
    assert_eq!(count("AWS::CodePipeline::Pipeline"), 14);
    assert_eq!(count("AWS::KMS::Key"), 6);
    assert_eq!(count("AWS::S3::Bucket"), 7);
    // Each account itself, from its trail, endpoint and build project items.
    assert_eq!(count("AWS::::Account"), 2);
    assert_eq!(evals.len(), 29);
    let web: Vec<(&str, &str)> = evals
        .iter()
        .filter(|e| e["ComplianceResourceId"] == "release-web")
        .map(|e| {
            (
                e["AccountId"].as_str().unwrap_or("?"),
                e["ComplianceType"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        web,
        [("111122223333", "COMPLIANT"), (MEMBER, "COMPLIANT")],
        "each account's release-web is judged with its own key"
    );
    // The same files named one by one give the same report.
    let files: Vec<String> = ["111122223333", MEMBER]
        .iter()
        .map(|a| {
            let folder = dir.join(format!("AWSLogs/{a}/Config"));
            folder.to_string_lossy().into_owned()
        })
        .collect();
    let again = artifact_guard(
        &[
            "assess",
            "--snapshot",
            &files[0],
            "--snapshot",
            &files[1],
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(evaluations(&again), evals);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_folder_without_snapshots_is_a_usage_error_naming_it() {
    let dir = scratch("empty-folder");
    std::fs::write(dir.join("notes.txt"), "nothing here").expect("write");
    let o = artifact_guard(&["assess", "--snapshot", &dir.to_string_lossy()], None);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&*dir.to_string_lossy()) && err.contains("no snapshot files"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
