//! The organization pattern on one moto server (a backend per account; credentials from STS
//! `AssumeRole` act in the role's account): the central config-rule, running in account
//! 123456789012, judges a member's resources through the member's execution role and reports
//! the evaluations in the member account.

use std::time::Duration;

use artifact_guard::aws::{AssumedRoles, AwsAccount, ConfigSink};
use artifact_guard::live::Home;
use artifact_guard::live::ScopeCache;
use artifact_guard_tests::{block_on, Moto};
use aws_lambda_events::event::config::ConfigEvent;
use config_rule::handler::{handle, Deps};
use serde_json::{json, Value};

const CENTRAL: &str = "123456789012";
const MEMBER: &str = "444455556666";
const ROLE: &str = "artifact-guard-execution";

fn periodic_event(account: &str, parameters: Value) -> ConfigEvent {
    serde_json::from_value(json!({
        "version": "1.0",
        "invokingEvent": json!({
            "awsAccountId": account,
            "notificationCreationTime": "2026-12-01T00:00:00.000Z",
            "messageType": "ScheduledNotification",
            "recordVersion": "1.0"
        }).to_string(),
        "ruleParameters": parameters.to_string(),
        "resultToken": "TESTMODE",
        "eventLeftScope": false,
        "executionRoleArn": format!("arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
        "configRuleArn": format!("arn:aws:config:us-east-1:{account}:config-rule/aws-service-rule/config-multiaccountsetup.amazonaws.com/config-rule-x"),
        "configRuleName": "OrgConfigRule-artifact-guard",
        "configRuleId": "config-rule-x",
        "accountId": account
    }))
    .expect("a Config event")
}

fn ids(result: &config_rule::handler::RuleResult) -> Vec<String> {
    let mut ids: Vec<String> = result
        .evaluations
        .iter()
        .map(|e| e.compliance_resource_id.to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_central_rule_judges_a_member_through_its_execution_role() {
    let moto = Moto::start();
    let member_role = format!("arn:aws:iam::{MEMBER}:role/{ROLE}");
    moto.create_account_as(Some(&member_role));
    let sdk = moto.sdk_config();
    let account = AwsAccount::new(&sdk);
    let deps = Deps {
        sink: ConfigSink::new(account.config_client().clone()),
        sources: account,
        scope_cache: ScopeCache::default(),
        concurrency: 4,
        calls: AwsAccount::calls,
        roles: AssumedRoles::new(&sdk, "artifact-guard-config-rule"),
        session_calls: |session| session.sources.calls(),
        home: Home::known(CENTRAL, "aws"),
    };
    let deadline = || tokio::time::Instant::now() + Duration::from_secs(120);
    let parameters = json!({"executionRoleName": ROLE});

    let first = block_on(handle(
        periodic_event(MEMBER, parameters.clone()),
        deadline(),
        &deps,
    ))
    .expect("judged in the member");
    let member_ids = ids(&first);
    assert!(member_ids.contains(&"good".to_owned()), "{member_ids:?}");
    let good = first
        .evaluations
        .iter()
        .find(|e| &*e.compliance_resource_id == "good")
        .expect("good");
    assert_eq!(
        good.compliance_type,
        artifact_guard::Compliance::Compliant,
        "{good:?}"
    );
    // Sessions are kept across invocations: one AssumeRole for two sweeps.
    let second = block_on(handle(
        periodic_event(MEMBER, parameters),
        deadline(),
        &deps,
    ))
    .expect("judged again");
    assert_eq!(ids(&second), member_ids);
    assert_eq!(
        deps.roles.assumed(),
        1,
        "one AssumeRole per session lifetime"
    );

    // The central account's own sweep reads only the central account (which holds no
    // pipeline): nothing of the member's appears there.
    let own = block_on(handle(
        periodic_event(CENTRAL, json!({})),
        deadline(),
        &deps,
    ))
    .expect("judged at home");
    assert_eq!(deps.roles.assumed(), 1);
    assert!(
        !ids(&own).iter().any(|id| member_ids.contains(id)),
        "{:?}",
        ids(&own)
    );

    // A member event without executionRoleName is refused rather than judged with the
    // central account's facts.
    let refused = block_on(handle(periodic_event(MEMBER, json!({})), deadline(), &deps))
        .expect_err("wrong account");
    assert!(
        refused.to_string().contains("executionRoleName"),
        "{refused}"
    );
}

/// A member's CloudTrail `CreatePipeline`, forwarded to the central event bus.
fn forwarded_create(pipeline: &str) -> Value {
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(
            artifact_guard_tests::root().join("events/pipeline-check/create-pipeline.json"),
        )
        .expect("fixture"),
    )
    .expect("JSON");
    event["detail"]["requestParameters"]["pipeline"]["name"] = json!(pipeline);
    event["detail"]["recipientAccountId"] = json!(MEMBER);
    event["account"] = json!(MEMBER);
    event
}

#[test]
fn the_central_pipeline_check_reads_a_forwarded_change_in_the_member() {
    use artifact_guard::aws::{PipelineControl, RoleCache, SnsNotifier};
    use artifact_guard::RuleParameters;
    use pipeline_check::check::Deps as CheckDeps;
    use pipeline_check::settings::{Mode, Settings};

    let moto = Moto::start();
    moto.create_account_as(Some(&format!("arn:aws:iam::{MEMBER}:role/{ROLE}")));
    let sdk = moto.sdk_config();
    let deps = CheckDeps {
        sources: AwsAccount::new(&sdk),
        control: PipelineControl::new(&sdk),
        notifier: SnsNotifier::new(&sdk),
        settings: Settings {
            mode: Mode::Report,
            notify_topic_arn: None,
            parameters: RuleParameters::from_json(&json!({"executionRoleName": ROLE}).to_string())
                .expect("parameters"),
        },
        members: RoleCache::with_maker(&sdk, "artifact-guard-pipeline-check", |member| {
            (AwsAccount::new(member), PipelineControl::new(member))
        }),
        home: Home::known(CENTRAL, "aws"),
    };
    let judge = |pipeline: &str| {
        let out = block_on(pipeline_check::handler::handle(
            forwarded_create(pipeline),
            tokio::time::Instant::now() + Duration::from_secs(60),
            &deps,
        ))
        .expect("handled");
        serde_json::to_value(out).expect("JSON")
    };
    let good = judge("good");
    // Read with GetPipeline in the member: the central account has no such pipeline.
    assert_eq!(good["Source"], "GetPipeline", "{good:#}");
    assert_eq!(
        good["Evaluation"]["ComplianceType"], "COMPLIANT",
        "{good:#}"
    );
    let aes = judge("aes");
    assert_eq!(
        aes["Evaluation"]["ComplianceType"], "NON_COMPLIANT",
        "{aes:#}"
    );
    assert!(
        aes["Evaluation"]["Annotation"]
            .as_str()
            .is_some_and(|a| a.starts_with("pipeline-store-protected FAIL")),
        "{aes:#}"
    );
    assert_eq!(deps.members.assumed(), 1, "one AssumeRole for both events");
}

fn scan(moto_env: &[(&'static str, String)], args: &[&str]) -> std::process::Output {
    artifact_guard_tests::run(
        std::process::Command::new(artifact_guard_tests::bin("artifact-guard"))
            .arg("scan")
            .args(args)
            .envs(moto_env.iter().map(|(k, v)| (*k, v.as_str()))),
        None,
    )
}

#[test]
fn scan_organization_reports_every_member_through_the_role() {
    let moto = Moto::start();
    let members = moto.create_organization();
    assert_eq!(members.len(), 2, "{members:?}");
    for (member, prefix) in members.iter().zip(["m1-", "m2-"]) {
        moto.create_account_named(Some(&format!("arn:aws:iam::{member}:role/{ROLE}")), prefix);
    }
    let o = scan(
        &moto.env(),
        &["--role-name", ROLE, "--organization", "--format", "json"],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "non-compliant resources; stderr: {stderr}"
    );
    let report: Value = serde_json::from_slice(&o.stdout).expect("a JSON report");
    assert!(report.get("notScanned").is_none(), "{report}");
    let evaluations = report["evaluations"].as_array().expect("evaluations");
    // Each member's pipelines, judged in that member; the management account has none.
    for member in &members {
        let mut pipelines: Vec<&str> = evaluations
            .iter()
            .filter(|e| {
                e["AccountId"] == member.as_str()
                    && e["ComplianceResourceType"] == "AWS::CodePipeline::Pipeline"
            })
            .filter_map(|e| e["ComplianceResourceId"].as_str())
            .collect();
        pipelines.sort_unstable();
        assert_eq!(
            pipelines,
            ["aes", "asym", "good", "mail", "token"],
            "{member}"
        );
        let good = evaluations
            .iter()
            .find(|e| e["AccountId"] == member.as_str() && e["ComplianceResourceId"] == "good")
            .expect("good");
        assert_eq!(good["ComplianceType"], "COMPLIANT", "{good}");
        assert_eq!(good["Region"], "us-east-1");
    }
    // Every account, the management account included, is itself judged once (trail, Macie,
    // root MFA: issue 15); beyond that, only members' resources are reported.
    let management = "123456789012";
    for account in members.iter().map(String::as_str).chain([management]) {
        let judged: Vec<&Value> = evaluations
            .iter()
            .filter(|e| {
                e["ComplianceResourceType"] == "AWS::::Account" && e["AccountId"] == account
            })
            .collect();
        assert_eq!(judged.len(), 1, "{account}: {report}");
        assert_eq!(judged[0]["ComplianceResourceId"], account, "{report}");
    }
    assert!(
        evaluations.iter().all(|e| {
            members.iter().any(|m| e["AccountId"] == m.as_str())
                || e["ComplianceResourceType"] == "AWS::::Account"
        }),
        "only members' resources: {report}"
    );
    // One AssumeRole per account (the management account's own role included), and a line per
    // account-region off a terminal.
    assert!(
        stderr.contains("3 AssumeRole calls for 3 accounts"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("] ").count(), 3, "{stderr}");
}

#[test]
fn accounts_that_cannot_be_scanned_are_listed_with_the_reason_and_exit_3() {
    // Nothing listens on the endpoint: AssumeRole fails for every account.
    let port = artifact_guard_tests::free_port();
    let env = vec![
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
    ];
    let o = scan(
        &env,
        &[
            "--role-name",
            ROLE,
            "--accounts",
            "111111111111,222222222222",
            "--regions",
            "us-east-1,eu-west-1",
            "--format",
            "json",
        ],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "stderr: {stderr}");
    let report: Value = serde_json::from_slice(&o.stdout).expect("a JSON report");
    let not_scanned = report["notScanned"].as_array().expect("notScanned");
    let listed: Vec<(&str, &str)> = not_scanned
        .iter()
        .map(|n| {
            (
                n["AccountId"].as_str().unwrap_or("?"),
                n["Region"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("111111111111", "us-east-1"),
            ("111111111111", "eu-west-1"),
            ("222222222222", "us-east-1"),
            ("222222222222", "eu-west-1")
        ]
    );
    for n in not_scanned {
        let reason = n["Reason"].as_str().unwrap_or("");
        assert!(
            reason.contains(&format!("role/{ROLE}")) && reason.contains("trust"),
            "the reason names the role and the fix: {reason}"
        );
    }
    assert_eq!(
        stderr.matches("not scanned: account").count(),
        4,
        "{stderr}"
    );
    assert_eq!(report["evaluations"], json!([]));
}

#[test]
fn scan_across_accounts_refuses_bad_account_ids_and_role_names() {
    let env = Vec::new();
    for (args, field) in [
        (
            vec!["--role-name", ROLE, "--accounts", "12345"],
            "--accounts",
        ),
        (
            vec!["--role-name", "bad name", "--organization"],
            "--role-name",
        ),
    ] {
        let o = scan(&env, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(field), "{args:?}: {stderr}");
    }
    // --organization without a role to scan through is a usage error from the parser.
    let o = scan(&env, &["--organization"]);
    assert_eq!(o.status.code(), Some(2));
}
