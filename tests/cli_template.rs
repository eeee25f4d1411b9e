//! `artifact-guard check-template` end to end: the built binary on template files, each output
//! format, the SARIF validated against the published SARIF 2.1.0 schema
//! (tests/schemas/sarif-schema-2.1.0.json, from the OASIS sarif-spec repository).

use std::process::{Command, Output};

use artifact_guard_tests::{artifact_guard, root, run, venv_bin};
use serde_json::Value;

const TEMPLATES: [&str; 4] = [
    "tests/templates/protected.yaml",
    "tests/templates/unprotected.json",
    "tests/templates/unresolved.yaml",
    "examples/pipeline-stack.yaml",
];

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

fn check(extra: &[&str]) -> Output {
    let mut args = vec!["check-template"];
    args.extend_from_slice(extra);
    artifact_guard(&args, None)
}

#[test]
fn the_projects_own_templates_pass_their_check() {
    let o = check(&[
        "examples/pipeline-stack.yaml",
        "template.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let evaluations = json_of(&o)["evaluations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // The custom store's bucket and key, and the pipeline; template.yaml declares none of them.
    assert_eq!(evaluations.len(), 3, "{evaluations:#?}");
    for e in &evaluations {
        assert_eq!(e["ComplianceType"], "COMPLIANT", "{e:#}");
        assert_eq!(e["Template"], "examples/pipeline-stack.yaml");
    }
    let ids: Vec<(&str, u64)> = evaluations
        .iter()
        .map(|e| {
            (
                e["ComplianceResourceId"].as_str().unwrap_or(""),
                e["Line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("ArtifactStore", 52),
            ("ArtifactStore", 52),
            ("Pipeline", 65)
        ]
    );
}

#[test]
fn json_names_each_resource_by_logical_id_template_and_line() {
    let o = check(&[
        "tests/templates/unprotected.json",
        "--format",
        "json",
        "--parameters",
        "AWS::AccountId=111122223333",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "non-compliant exits 1: {}",
        stderr(&o)
    );
    let doc = json_of(&o);
    let evaluations = doc["evaluations"].as_array().cloned().unwrap_or_default();
    let rows: Vec<(String, String, u64)> = evaluations
        .iter()
        .map(|e| {
            (
                e["ComplianceResourceId"].as_str().unwrap_or("").to_owned(),
                e["ComplianceType"].as_str().unwrap_or("").to_owned(),
                e["Line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("SigningKey".into(), "NON_COMPLIANT".into(), 9),
            ("LooseBucket".into(), "NON_COMPLIANT".into(), 13),
            ("WestBucket".into(), "NON_COMPLIANT".into(), 31),
            ("Pipeline".into(), "NON_COMPLIANT".into(), 38),
        ]
    );
    // The given account is the evaluations' own; no secret or address in the output.
    assert_eq!(evaluations[0]["AccountId"], "111122223333");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        !text.contains("hunter2") && !text.contains("jane.doe"),
        "{text}"
    );
}

#[test]
fn parameters_come_from_the_command_line_or_a_file_in_three_shapes() {
    let dir = tempfile_dir();
    let files = [
        (
            "cli.json",
            r#"[{"ParameterKey": "KeyArn", "ParameterValue": "arn:aws:kms:us-east-1:111122223333:key/k"}, {"ParameterKey": "Mode", "ParameterValue": "strict"}, {"ParameterKey": "Notify", "ParameterValue": "team"}]"#,
        ),
        (
            "config.json",
            r#"{"Parameters": {"KeyArn": "arn:aws:kms:us-east-1:111122223333:key/k", "Mode": "strict", "Notify": "team"}}"#,
        ),
        (
            "flat.json",
            r#"{"KeyArn": "arn:aws:kms:us-east-1:111122223333:key/k", "Mode": "strict", "Notify": "team"}"#,
        ),
    ];
    let inline = "KeyArn=arn:aws:kms:us-east-1:111122223333:key/k,Mode=strict,Notify=team";
    let mut answers = Vec::new();
    for (name, body) in files {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap_or_else(|e| panic!("{e}"));
        let at = format!("@{}", path.display());
        answers.push(json_of(&check(&[
            "tests/templates/unresolved.yaml",
            "--format",
            "json",
            "--parameters",
            &at,
        ])));
    }
    answers.push(json_of(&check(&[
        "tests/templates/unresolved.yaml",
        "--format",
        "json",
        "--parameters",
        inline,
    ])));
    for answer in &answers[1..] {
        assert_eq!(answer, &answers[0]);
    }
    // With Mode=strict the policy is decided: the TLS deny passes.
    let store = &answers[0]["evaluations"][0];
    let tls = store["Findings"]
        .as_array()
        .and_then(|f| {
            f.iter()
                .find(|f| f["Control"] == "bucket-deny-insecure-transport")
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(tls["Status"], "PASS", "{store:#}");

    let o = check(&["tests/templates/unresolved.yaml", "--parameters", "Mode"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("\"Mode\" is not KEY=VALUE"),
        "{}",
        stderr(&o)
    );
    let o = check(&[
        "tests/templates/unresolved.yaml",
        "--parameters",
        "Colour=blue",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--parameters Colour: the template declares no such parameter"),
        "{}",
        stderr(&o)
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("artifact-guard-template-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

#[test]
fn a_template_that_does_not_parse_is_named_with_line_and_column() {
    let dir = tempfile_dir();
    let bad = dir.join("broken.yaml");
    std::fs::write(
        &bad,
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: x\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = check(&[bad.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("broken.yaml: line 5, column 1:"), "{err}");
    assert!(
        o.stdout.is_empty(),
        "nothing is reported for a file that does not parse"
    );
    let looped = dir.join("looped.yaml");
    std::fs::write(&looped, "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Stores:\n    - Name\n    - [a, b]\n    - ${Name}Store: {Type: AWS::S3::Bucket}\n").unwrap_or_else(|e| panic!("{e}"));
    let o = check(&[looped.to_str().unwrap_or_default()]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "resources that are not looked at never pass"
    );
    assert!(
        stderr(&o).contains("Fn::ForEach::Stores")
            && stderr(&o).contains("--template-stage Processed"),
        "{}",
        stderr(&o)
    );
    let o = check(&["no/such/template.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no/such/template.yaml: cannot read"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_table_lists_each_resource_at_its_place() {
    let o = check(&["tests/templates/protected.yaml", "--format", "table"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("Pipeline (tests/templates/protected.yaml:116)"),
        "{text}"
    );
    assert!(
        text.contains("3 resources: 3 compliant, 0 non-compliant, 0 not applicable"),
        "{text}"
    );
}

#[test]
fn sarif_matches_the_golden_file_and_the_published_schema() {
    let mut args = vec!["check-template"];
    args.extend_from_slice(&TEMPLATES);
    args.extend_from_slice(&["--format", "sarif"]);
    let o = artifact_guard(&args, None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // Only `make golden` writes the file.
    let golden = std::fs::read_to_string(root().join("tests/fixtures/golden/templates.sarif"))
        .unwrap_or_else(|e| panic!("golden file (`make golden` writes it): {e}"));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        golden,
        "run `make golden` after an intended change"
    );

    let sarif = json_of(&o);
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        rules.len(),
        20,
        "one rule per bucket, key and pipeline control"
    );
    for rule in &rules {
        assert!(
            rule["help"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("Fix: ")),
            "{rule:#}"
        );
    }
    // One result per FAIL or UNKNOWN finding of the JSON report, error when required.
    let mut args = vec!["check-template"];
    args.extend_from_slice(&TEMPLATES);
    args.extend_from_slice(&["--format", "json"]);
    let report = json_of(&artifact_guard(&args, None));
    let mut expected = Vec::new();
    for e in report["evaluations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        for f in e["Findings"].as_array().cloned().unwrap_or_default() {
            if f["Status"] == "FAIL" || f["Status"] == "UNKNOWN" {
                let level = if f["Required"] == true {
                    "error"
                } else {
                    "warning"
                };
                expected.push((
                    e["Template"].as_str().unwrap_or("").to_owned(),
                    e["Line"].as_u64().unwrap_or(0),
                    f["Control"].as_str().unwrap_or("").to_owned(),
                    level.to_owned(),
                ));
            }
        }
    }
    let results: Vec<(String, u64, String, String)> = run0["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let place = &r["locations"][0]["physicalLocation"];
            (
                place["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                place["region"]["startLine"].as_u64().unwrap_or(0),
                r["ruleId"].as_str().unwrap_or("").to_owned(),
                r["level"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(results, expected);
    assert!(results.len() > 20, "{}", results.len());

    // The published schema (draft-04), checked by the jsonschema package of the test venv.
    let validate = "import json,sys,jsonschema\n\
schema=json.load(open(sys.argv[1]))\n\
doc=json.load(open(sys.argv[2]))\n\
errors=sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=lambda e: list(e.path))\n\
[print('/'.join(map(str,e.path)), e.message) for e in errors]\n\
bad=dict(doc); bad['version']='2.0.0'\n\
print('CAUGHT' if list(jsonschema.Draft4Validator(schema).iter_errors(bad)) else 'MISSED')\n";
    let o = run(
        Command::new(venv_bin("python")).args([
            "-c",
            validate,
            "tests/schemas/sarif-schema-2.1.0.json",
            "tests/fixtures/golden/templates.sarif",
        ]),
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "CAUGHT\n",
        "schema errors, or a validator that catches nothing"
    );
}
