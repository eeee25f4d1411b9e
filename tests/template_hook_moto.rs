//! The template hook through the Lambda Runtime API (cargo-lambda), reading live facts from
//! moto: resource targets with the sample requests of `events/template-hook/`, and stack
//! targets whose template is served from a loopback stand-in for the presigned S3 URL.

use std::path::PathBuf;

use artifact_guard_tests::{payload_server, root, LambdaEmulator, Moto};
use serde_json::Value;

fn event_file(name: &str, event: &Value) -> PathBuf {
    let file = root().join(format!(
        "target/test-events/template-hook-{name}-{}.json",
        std::process::id()
    ));
    std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
    std::fs::write(&file, event.to_string()).expect("event file");
    file
}

fn sample(name: &str) -> PathBuf {
    root().join("events/template-hook").join(name)
}

#[test]
fn the_hook_answers_cloudformation_through_the_runtime_api() {
    let moto = Moto::start();
    moto.create_account();
    let emulator = LambdaEmulator::start("template-hook", &moto.env());

    // A pipeline whose store exists: its bucket and key are read live from moto.
    let ok = emulator
        .invoke(&sample("pipeline-create.json"))
        .expect("invoked");
    assert_eq!(ok["hookStatus"], "SUCCESS", "{ok:#}\n{}", emulator.logs());
    assert_eq!(
        ok["clientRequestToken"],
        "4b90a7e7-89e2-4e3b-8f2d-0a5e7c1d2f3a"
    );
    assert!(ok.get("errorCode").is_none(), "{ok:#}");

    let token = emulator
        .invoke(&sample("pipeline-plaintext-token.json"))
        .expect("invoked");
    assert_eq!(
        (token["hookStatus"].as_str(), token["errorCode"].as_str()),
        (Some("FAILED"), Some("NonCompliant")),
        "{token:#}"
    );
    let message = token["message"].as_str().unwrap_or_default();
    assert!(
        message
            .contains("AWS::CodePipeline::Pipeline Pipeline: pipeline-no-plaintext-secrets FAIL"),
        "{message}"
    );
    assert!(message.chars().count() <= 4096);

    // The proposed policy on the live tagged store: the TLS deny is missing.
    let policy = emulator
        .invoke(&sample("bucket-policy-update.json"))
        .expect("invoked");
    assert_eq!(policy["errorCode"], "NonCompliant", "{policy:#}");
    assert!(
        policy["message"]
            .as_str()
            .unwrap_or_default()
            .contains("bucket-deny-insecure-transport FAIL"),
        "{policy:#}"
    );

    let key = emulator
        .invoke(&sample("key-create.json"))
        .expect("invoked");
    assert_eq!(key["hookStatus"], "SUCCESS", "{key:#}");

    // Stack targets: the whole template, in context.
    let mut stack: Value = serde_json::from_str(
        &std::fs::read_to_string(sample("stack-create.json")).expect("sample"),
    )
    .expect("JSON");
    for (template, status, words) in [
        (
            "tests/templates/unprotected.json",
            "FAILED",
            "AWS::S3::Bucket LooseBucket: bucket-sse-kms FAIL",
        ),
        (
            "tests/templates/protected.yaml",
            "SUCCESS",
            "compliant: AWS::KMS::Key ArtifactKey",
        ),
    ] {
        let text = std::fs::read_to_string(root().join(template)).expect("template");
        let port = payload_server(
            serde_json::json!({"template": text, "previousTemplate": ""}).to_string(),
        );
        stack["requestData"]["payload"] = Value::String(format!(
            "http://127.0.0.1:{port}/payload.json?X-Amz-Signature=LOCALSIGNATUREDONOTLOG"
        ));
        let answer = emulator
            .invoke(&event_file("stack", &stack))
            .expect("invoked");
        assert_eq!(answer["hookStatus"], status, "{template}: {answer:#}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap_or_default()
                .contains(words),
            "{template}: {answer:#}"
        );
    }

    // No internet here: the sample's real S3 URL cannot be fetched, and that is the hook's own
    // failure, never a SUCCESS; the signature is not repeated.
    let unreachable = emulator
        .invoke(&sample("stack-create.json"))
        .expect("invoked");
    assert_eq!(
        (
            unreachable["hookStatus"].as_str(),
            unreachable["errorCode"].as_str()
        ),
        (Some("FAILED"), Some("InternalFailure")),
        "{unreachable:#}"
    );
    assert!(
        !unreachable.to_string().contains("EXAMPLESIGNATURE"),
        "{unreachable:#}"
    );

    let logs = emulator.logs();
    assert!(logs.contains("hook answered"), "logs were captured: {logs}");
    for secret in [
        "ghp_EXAMPLEEXAMPLE",
        "LOCALSIGNATUREDONOTLOG",
        "EXAMPLESIGNATURE",
    ] {
        assert!(!logs.contains(secret), "{secret} was logged: {logs}");
    }
}
