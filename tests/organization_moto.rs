//! The organization pattern on one moto server (a backend per account; credentials from STS
//! `AssumeRole` act in the role's account): the central config-rule, running in account
//! 123456789012, judges a member's resources through the member's execution role and reports
//! the evaluations in the member account.

use std::time::Duration;

use artifact_guard::aws::{AssumedRoles, AwsAccount, ConfigSink};
use artifact_guard::live::{RoleSessions, ScopeCache};
use artifact_guard_tests::{block_on, Moto};
use aws_lambda_events::event::config::ConfigEvent;
use config_rule::handler::{handle, Deps, Home};
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
        session_calls: AwsAccount::calls,
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
