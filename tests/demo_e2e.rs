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
        stdout.contains("13 resources: 5 compliant, 8 non-compliant, 0 not applicable"),
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
    let row = |id: &str| -> (String, Vec<String>) {
        let r = dashboard["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"));
        let failing = r["failing"]
            .as_array()
            .expect("list")
            .iter()
            .map(|f| f.as_str().unwrap_or_default().to_owned())
            .collect();
        (
            r["compliance"].as_str().unwrap_or_default().to_owned(),
            failing,
        )
    };
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
    assert_eq!(dashboard["pipeline_check"]["mirror"], "NON_COMPLIANT");
    assert_eq!(dashboard["change"]["ComplianceType"], "NON_COMPLIANT");
    assert!(!stdout.contains("ghp_DEMO") && !stdout.contains("jane.doe@example.com"));
}
