//! Nothing secret reaches a function's logs or answers, at any log level and in either log
//! format. Every fixture in `events/<function>/` is delivered to the built binary through
//! cargo-lambda's Lambda Runtime API emulator, against moto, at TRACE (the most an operator can
//! ask for: once as `AWS_LAMBDA_LOG_LEVEL=TRACE` with text lines, once as `RUST_LOG=trace` with
//! `AWS_LAMBDA_LOG_FORMAT=JSON`), after planting secrets wherever such an event can carry them: a
//! tag value and an e-mail address in every tag set, credentials in a URL and a plaintext
//! `OAuthToken` in every pipeline action's configuration, a signature in the presigned response
//! URL. (The job fixture carries CodePipeline's artifact credentials already; moto's account holds
//! a pipeline with a token in its source URL, one with a plaintext `OAuthToken` and an e-mail tag,
//! which the periodic sweep reads.) The captured logs, the results and every CloudFormation
//! response must contain none of them; the logs must show that TRACE was in force.

use std::path::{Path, PathBuf};

use std::process::Command;

use artifact_guard_tests::{root, run, venv_bin, LambdaEmulator, Moto, Recorder};
use serde_json::{json, Map, Value};

const TAG_SECRET: &str = "tag-value-PLANTED-9f3c";
const EMAIL: &str = "jane.planted@example.com";
const URL_TOKEN: &str = "PLANTEDURLTOKEN7a1e";
const SIGNATURE: &str = "5ec2e7519a7ab1e0000000000000000000000000000000000000000000000000";
const OAUTH_TOKEN: &str = "oauth-PLANTED-c0ffee";
/// The plaintext `OAuthToken` of the pipeline created for the sweep (see [`add_oauth_pipeline`]).
const SWEPT_OAUTH_TOKEN: &str = "oauth-SWEPT-PLANTED-b4d";

/// Everything that must never be written out.
const SECRETS: [&str; 12] = [
    TAG_SECRET,
    EMAIL,
    URL_TOKEN,
    SIGNATURE,
    OAUTH_TOKEN,
    SWEPT_OAUTH_TOKEN,
    // events/pipeline-check/job.json: the job's artifact credentials.
    "EXAMPLESECRETDONOTLOGTHIS",
    "EXAMPLESESSIONTOKENDONOTLOG",
    "ASIAEXAMPLEDONOTLOG",
    // tests/moto/create_account.py: a token in a source URL and an e-mail tag.
    "ghp_EXAMPLE",
    "jane@example.com",
    "X-Amz-Signature",
];

/// Events that carry no resource, or only a policy for one: the function reads the resource
/// from AWS (here, moto's account).
const READ_FROM_AWS: [&str; 3] = [
    "config-rule/periodic.json",
    "config-rule/oversized.json",
    "template-hook/bucket-policy-update.json",
];

/// Plants the secrets into every place of `value` that can carry them; returns how many.
fn plant(value: &mut Value) -> usize {
    let mut planted = 0;
    match value {
        Value::Object(map) => {
            // The API's members, or CloudFormation's properties (a hook's resource target).
            if map.contains_key("actionTypeId") || map.contains_key("ActionTypeId") {
                let key = if map.contains_key("ActionTypeId") {
                    "Configuration"
                } else {
                    "configuration"
                };
                if let Some(Value::Object(configuration)) = map.get_mut(key) {
                    configuration.insert(
                        "RepositoryUrl".into(),
                        json!(format!("https://ci:{URL_TOKEN}@git.example.com/web.git")),
                    );
                    configuration.insert("OAuthToken".into(), json!(OAUTH_TOKEN));
                    planted += 2;
                }
            }
            for (key, child) in map.iter_mut() {
                planted += match (key.as_str(), &mut *child) {
                    // AWS Config items: tags as a map.
                    ("tags", Value::Object(tags)) => plant_tag_map(tags),
                    // CreatePipeline requests and custom resource properties: lists of pairs.
                    ("tags", Value::Array(tags)) => {
                        tags.push(json!({"key": "contact", "value": EMAIL}));
                        tags.push(json!({"key": "deploy", "value": TAG_SECRET}));
                        2
                    }
                    ("Tags", Value::Array(tags)) => {
                        tags.push(json!({"Key": "contact", "Value": EMAIL}));
                        tags.push(json!({"Key": "deploy", "Value": TAG_SECRET}));
                        2
                    }
                    // A Config rule event's item travels as JSON text.
                    ("invokingEvent", Value::String(text)) => {
                        let mut inner: Value = serde_json::from_str(text).expect("invokingEvent");
                        let n = plant(&mut inner);
                        *text = inner.to_string();
                        n
                    }
                    _ => plant(child),
                };
            }
        }
        Value::Array(items) => planted += items.iter_mut().map(plant).sum::<usize>(),
        _ => {}
    }
    planted
}

fn plant_tag_map(tags: &mut Map<String, Value>) -> usize {
    tags.insert("contact".into(), json!(EMAIL));
    tags.insert("deploy".into(), json!(TAG_SECRET));
    2
}

fn fixtures(function: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("events").join(function))
        .expect("events folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures for {function}");
    files
}

fn write_event(function: &str, source: &Path, event: &Value) -> PathBuf {
    let name = source.file_name().expect("file name").to_string_lossy();
    let file = root().join(format!(
        "target/test-events/secrets-{}-{function}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
    std::fs::write(&file, event.to_string()).expect("event file");
    file
}

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{secret} appears in {what}:\n{text}"
        );
    }
}

/// How an operator turns logging all the way up: each level variable, each format. The other
/// level variable is set empty, so that only the one named decides.
#[derive(Clone, Copy)]
struct Logging {
    what: &'static str,
    env: [(&'static str, &'static str); 3],
    json: bool,
}

const AT_TRACE: [Logging; 2] = [
    Logging {
        what: "AWS_LAMBDA_LOG_LEVEL=TRACE, text",
        env: [
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
            ("RUST_LOG", ""),
            ("AWS_LAMBDA_LOG_FORMAT", "Text"),
        ],
        json: false,
    },
    Logging {
        what: "RUST_LOG=trace, JSON",
        env: [
            ("AWS_LAMBDA_LOG_LEVEL", ""),
            ("RUST_LOG", "trace"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ],
        json: true,
    },
];

/// Delivers every fixture of `function`, planted; returns what the function answered and
/// logged, after checking that the plants took, that every event reached the function, and that
/// the logs were written at TRACE in the format asked for.
fn run_fixtures(
    function: &str,
    moto: &Moto,
    logging: Logging,
    adapt: impl Fn(&mut Value),
) -> (Vec<String>, String) {
    let mut env = moto.env();
    env.extend(logging.env.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let emulator = LambdaEmulator::start(function, &env);
    let mut answers = Vec::new();
    for source in fixtures(function) {
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(&source).expect("fixture"))
                .expect("fixture JSON");
        let planted = plant(&mut event);
        adapt(&mut event);
        let text = event.to_string();
        let carries = SECRETS.iter().filter(|s| text.contains(*s)).count();
        let name = source.display();
        let reads_from_aws = READ_FROM_AWS.iter().any(|f| source.ends_with(f));
        assert!(
            planted > 0 || carries > 0 || reads_from_aws,
            "{name}: no secret could be planted or found"
        );
        // Errors are answers too: the function's error message must be as clean as a result.
        let answer = match emulator.invoke(&write_event(function, &source, &event)) {
            Ok(result) => result.to_string(),
            Err(error) => error,
        };
        answers.push(format!("{name}: {answer}"));
    }
    let logs = emulator.logs();
    let what = format!("{function} ({})", logging.what);
    let plain = strip_ansi(&logs);
    let invocations = request_ids(&plain).len();
    assert_eq!(
        invocations,
        answers.len(),
        "{what}: every event reached the function and was logged:\n{logs}"
    );
    assert_at_trace(&what, &plain, logging.json);
    (answers, logs)
}

/// The logs carry TRACE lines (each handler traces the kind of event it parsed), and in JSON
/// every line is one JSON object.
fn assert_at_trace(what: &str, logs: &str, json: bool) {
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    let trace_lines = if json {
        for line in &lines {
            assert!(
                serde_json::from_str::<Value>(line).is_ok_and(|v| v.is_object()),
                "{what}: not a JSON log line: {line}"
            );
        }
        lines
            .iter()
            .filter(|l| l.contains("\"level\":\"TRACE\""))
            .count()
    } else {
        lines.iter().filter(|l| l.starts_with("TRACE ")).count()
    };
    assert!(
        trace_lines > 0,
        "{what}: no TRACE line was written:\n{logs}"
    );
}

/// The text without ANSI colour sequences (`ESC [ … m`), which a subscriber writing to what it
/// takes for a terminal puts around levels and field names.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        rest = &rest[at + 2..];
        rest = rest.find('m').map_or("", |m| &rest[m + 1..]);
    }
    out.push_str(rest);
    out
}

/// The distinct Lambda request ids in the runtime's `Lambda runtime invoke` spans, written
/// `requestId="…"` in text and `"requestId":"…"` in JSON.
fn request_ids(logs: &str) -> std::collections::BTreeSet<&str> {
    logs.split("requestId")
        .skip(1)
        .filter_map(|rest| {
            let value = rest.trim_start_matches(['"', ':', '=', ' ']);
            value.split('"').next().filter(|id| !id.is_empty())
        })
        .collect()
}

/// A pipeline whose GitHub source carries a plaintext `OAuthToken`, for the periodic sweep.
fn add_oauth_pipeline(moto: &Moto) {
    let script = format!(
        r#"import boto3, sys
cp = boto3.client("codepipeline", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
role = "arn:aws:iam::123456789012:role/pipeline"
cp.create_pipeline(pipeline={{"name": "oauth", "roleArn": role,
    "artifactStore": {{"type": "S3", "location": "store-good"}},
    "stages": [
        {{"name": "Source", "actions": [{{"name": "Source",
            "actionTypeId": {{"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"}},
            "configuration": {{"Owner": "o", "Repo": "r", "Branch": "main", "OAuthToken": "{SWEPT_OAUTH_TOKEN}"}},
            "outputArtifacts": [{{"name": "out"}}]}}]}},
        {{"name": "Deploy", "actions": [{{"name": "Deploy",
            "actionTypeId": {{"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"}},
            "configuration": {{"BucketName": "site", "Extract": "true"}},
            "inputArtifacts": [{{"name": "out"}}]}}]}}]}})
"#
    );
    let out = run(
        Command::new(venv_bin("python"))
            .arg("-c")
            .arg(script)
            .arg(&moto.endpoint),
        None,
    );
    assert!(
        out.status.success(),
        "oauth pipeline: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn no_fixture_run_at_trace_writes_a_secret_to_logs_or_answers() {
    let moto = Moto::start();
    moto.create_account();
    add_oauth_pipeline(&moto);

    for logging in AT_TRACE {
        let (answers, logs) = run_fixtures("config-rule", &moto, logging, |_| {});
        assert_clean("config-rule's logs", &logs);
        assert_clean("config-rule's results", &answers.join("\n"));
        // The sweep read the plaintext token (its pipeline was judged), and said nothing of it.
        assert!(
            answers.iter().any(|a| a.contains("\"oauth\"")),
            "the sweep judged the OAuthToken pipeline: {answers:?}"
        );

        let (answers, logs) = run_fixtures("pipeline-check", &moto, logging, |_| {});
        assert_clean("pipeline-check's logs", &logs);
        assert_clean("pipeline-check's results", &answers.join("\n"));

        // The presigned URL, on a recorder standing in for CloudFormation, with a planted signature.
        let recorder = Recorder::start(0);
        let (answers, logs) = run_fixtures("artifact-store", &moto, logging, |event| {
            let url = event["ResponseURL"].as_str().expect("ResponseURL");
            let path_and_query = &url[url.find(".com/").expect("presigned host") + 4..];
            let signed = match path_and_query.find("X-Amz-Signature=") {
                Some(at) => format!("{}X-Amz-Signature={SIGNATURE}", &path_and_query[..at]),
                None => format!("{path_and_query}&X-Amz-Signature={SIGNATURE}"),
            };
            event["ResponseURL"] = json!(format!("http://{}{signed}", recorder.host()));
        });
        assert_clean("artifact-store's logs", &logs);
        assert_clean("artifact-store's results", &answers.join("\n"));

        // The hook: a stack's template, with the secrets planted in it, behind a presigned URL
        // with a planted signature.
        let mut template: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("tests/templates/unprotected.json"))
                .expect("template"),
        )
        .expect("template JSON");
        assert!(plant(&mut template["Resources"]) >= 4, "{template:#}");
        let port = artifact_guard_tests::payload_server(
            json!({"template": template.to_string(), "previousTemplate": ""}).to_string(),
        );
        let (answers, logs) = run_fixtures("template-hook", &moto, logging, |event| {
            if event["requestData"]["payload"].is_string() {
                event["requestData"]["payload"] = json!(format!(
                    "http://127.0.0.1:{port}/payload.json?X-Amz-Signature={SIGNATURE}"
                ));
            }
        });
        assert_clean("template-hook's logs", &logs);
        assert_clean("template-hook's results", &answers.join("\n"));
        assert!(
            answers
                .iter()
                .any(|a| a.contains("pipeline-no-plaintext-secrets FAIL")),
            "the planted template was judged: {answers:?}"
        );
        let responses = recorder.responses();
        assert_eq!(
            responses.len(),
            fixtures("artifact-store").len(),
            "one response per request: {answers:?}"
        );
        for response in &responses {
            assert_clean("a CloudFormation response", &response.to_string());
        }
    }
}
