//! `make demo`'s flow as an end-to-end test: moto, the three function binaries behind
//! cargo-lambda's runtime emulators, and the dashboard's content.

use std::process::Command;

use artifact_guard_tests::{bin, root, run, venv_bin};
use serde_json::Value;

#[test]
fn the_demo_dashboard_shows_what_each_pipeline_gets_wrong() {
    // The demo runs the binaries these tests run, wherever cargo built them.
    let bin_dir = bin("config-rule")
        .parent()
        .map(std::path::Path::to_path_buf)
        .expect("binary folder");
    let out_dir = root().join(format!("target/demo-test-{}", std::process::id()));
    let out = run(
        Command::new(venv_bin("python"))
            .arg(root().join("demo/demo.py"))
            .env("DEMO_BIN", &bin_dir)
            .env("DEMO_OUT", &out_dir),
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("16 resources: 8 compliant, 8 non-compliant, 0 not applicable"),
        "{stdout}"
    );
    assert!(
        stdout.contains("artifact-store: provisioned demo-store-cmk"),
        "{stdout}"
    );

    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("dashboard.json")).expect("dashboard"),
    )
    .expect("JSON");
    let list = |r: &Value, field: &str| -> Vec<String> {
        r[field]
            .as_array()
            .expect("list")
            .iter()
            .map(|f| f.as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let find = |id: &str| -> Value {
        dashboard["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
            .clone()
    };
    let row = |id: &str| -> (String, Vec<String>) {
        let r = find(id);
        (
            r["compliance"].as_str().unwrap_or_default().to_owned(),
            list(&r, "failing"),
        )
    };
    // The partner key's policy lets every principal decrypt: advisory, so still COMPLIANT.
    let shared_key = dashboard["shared_key"].as_str().expect("shared key id");
    let shared = find(shared_key);
    assert_eq!(row(shared_key), ("COMPLIANT".into(), vec![]));
    assert_eq!(list(&shared, "advisory"), vec!["key-policy-not-public"]);
    let cmk_key = dashboard["stores"]["CmkStore"]["KmsKeyId"]
        .as_str()
        .expect("the provisioned key");
    assert!(
        list(&find(cmk_key), "advisory").is_empty(),
        "the key artifact-store writes passes every control: {:?}",
        find(cmk_key)
    );
    assert_eq!(row("partner-release"), ("COMPLIANT".into(), vec![]));
    // The provisioned key's policy names the pipelines' role: every grant holds. The pipeline
    // that deploys with another account's role on aws/s3 cannot run that action at all.
    assert!(list(&find("web-release"), "advisory").is_empty());
    assert_eq!(
        list(&find("cross-account-deploy"), "advisory"),
        vec!["pipeline-customer-managed-key", "pipeline-key-grants"]
    );
    assert_eq!(row("web-release"), ("COMPLIANT".into(), vec![]));
    assert_eq!(row("api-release").0, "COMPLIANT");
    assert_eq!(row("demo-store-cmk").0, "COMPLIANT");
    assert_eq!(row("legacy-batch").1, vec!["pipeline-store-protected"]);
    assert_eq!(
        row("signer").1,
        vec!["pipeline-store-protected", "pipeline-key-usable"]
    );
    assert_eq!(
        row("cross-account-deploy").1,
        vec!["pipeline-cross-account-cmk"]
    );
    assert_eq!(row("nightly-report").1, vec!["pipeline-no-personal-data"]);
    assert_eq!(row("mirror").1, vec!["pipeline-no-url-credentials"]);
    assert_eq!(row("legacy-aes-store").1[0], "bucket-sse-kms");
    // The account: its trail logs management writes everywhere (required, passes); the
    // advisory findings say what else AWS recommends around the stores.
    let account = find("123456789012");
    assert_eq!(account["type"], "AWS::::Account");
    assert_eq!(row("123456789012"), ("COMPLIANT".into(), vec![]));
    assert_eq!(
        list(&account, "advisory"),
        vec![
            "account-cloudtrail-protected",
            "account-codepipeline-endpoint",
            "account-macie",
            "account-root-mfa"
        ]
    );
    assert_eq!(dashboard["pipeline_check"]["mirror"], "NON_COMPLIANT");
    assert_eq!(dashboard["change"]["ComplianceType"], "NON_COMPLIANT");
    assert!(!stdout.contains("ghp_DEMO") && !stdout.contains("jane.doe@example.com"));

    // Before the stack exists: check-template and the hook agree.
    assert_eq!(
        dashboard["check_template"],
        serde_json::json!({"ReleaseArtifacts": "NON_COMPLIANT", "ReleasePipeline": "NON_COMPLIANT"})
    );
    let stack = &dashboard["hook"]["stack"];
    assert_eq!(
        (stack["hookStatus"].as_str(), stack["errorCode"].as_str()),
        (Some("FAILED"), Some("NonCompliant")),
        "{stack:#}"
    );
    let message = stack["message"].as_str().unwrap_or_default();
    for words in [
        "AWS::S3::Bucket ReleaseArtifacts: bucket-sse-kms FAIL",
        "AWS::CodePipeline::Pipeline ReleasePipeline:",
        "pipeline-no-plaintext-secrets FAIL",
    ] {
        assert!(message.contains(words), "{words}: {message}");
    }
    assert!(!message.contains("ghp_DEMO"), "{message}");
    assert_eq!(
        dashboard["hook"]["pipeline"]["hookStatus"], "SUCCESS",
        "{:#}",
        dashboard["hook"]
    );
    assert!(
        stdout.contains("template-hook, stack demo: FAILED NonCompliant"),
        "{stdout}"
    );
}

#[test]
fn the_organization_demo_judges_each_member_in_its_own_account() {
    let bin_dir = bin("config-rule")
        .parent()
        .map(std::path::Path::to_path_buf)
        .expect("binary folder");
    let out_dir = root().join(format!("target/demo-org-test-{}", std::process::id()));
    let out = run(
        Command::new(venv_bin("python"))
            .arg(root().join("demo/organization.py"))
            .env("DEMO_BIN", &bin_dir)
            .env("DEMO_ORG_OUT", &out_dir),
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "organization demo failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("organization.json")).expect("organization.json"),
    )
    .expect("JSON");
    let members: Vec<&str> = result["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(members.len(), 2);
    // The periodic sweep of the first member: its 11 resources and the account itself, in that
    // account only.
    let sweep = result["sweep"].as_array().expect("sweep");
    assert_eq!(sweep.len(), 12);
    assert!(
        sweep.iter().all(|e| e["AccountId"] == members[0]),
        "{sweep:?}"
    );
    // The change event and the forwarded CreatePipeline: judged through the members' roles.
    assert_eq!(result["change"]["ComplianceResourceId"], "build-store-aes");
    assert_eq!(result["change"]["ComplianceType"], "NON_COMPLIANT");
    assert_eq!(
        result["pipeline_check"]["Evaluation"]["ComplianceType"],
        "NON_COMPLIANT"
    );
    // scan --organization: every member, 11 resources and the account each, and the management
    // account itself (it holds no pipelines), nothing left out.
    let scan = &result["scan"];
    assert!(scan.get("notScanned").is_none(), "{scan}");
    for member in &members {
        let n = scan["evaluations"]
            .as_array()
            .expect("evaluations")
            .iter()
            .filter(|e| e["AccountId"] == *member)
            .count();
        assert_eq!(n, 12, "{member}");
    }
    assert_eq!(result["scan_exit"], 1, "non-compliant resources exit 1");
    assert!(
        stdout.contains("25 resources: 10 compliant, 15 non-compliant"),
        "{stdout}"
    );
    let page = std::fs::read_to_string(out_dir.join("org-report.html")).expect("HTML report");
    assert!(page.contains("\"AccountId\":\"") && page.contains(members[1]));
    let _ = std::fs::remove_dir_all(&out_dir);
}
