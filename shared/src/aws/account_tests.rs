//! Request-level tests of the account reader (aws-smithy-mocks): the calls it makes and how
//! it reads CloudTrail, AWS Config's recorder and items, Macie and IAM. moto serves CloudTrail,
//! Macie sessions and the IAM account summary (the workspace integration tests use them), but
//! its Config neither lists VPC endpoints or CodeBuild projects nor answers
//! `BatchGetResourceConfig` in a shape the SDK reads: that path is proven here.

use aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput;
use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
use aws_sdk_cloudtrail::types as ct;
use aws_sdk_config::operation::batch_get_resource_config::BatchGetResourceConfigOutput;
use aws_sdk_config::operation::describe_configuration_recorders::DescribeConfigurationRecordersOutput;
use aws_sdk_config::operation::list_discovered_resources::ListDiscoveredResourcesOutput;
use aws_sdk_config::types as cfg;
use aws_sdk_iam::operation::get_account_summary::GetAccountSummaryOutput;
use aws_sdk_iam::types::SummaryKeyType;
use aws_sdk_macie2::operation::get_macie_session::GetMacieSessionOutput;
use aws_sdk_macie2::types::MacieStatus;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

use super::tests::{block_on, json_error};
use super::AwsAccount;
use crate::facts::{AccountFacts, Fact};
use crate::live::AccountReader;

const NONE: [&Rule; 0] = [];
const MAIN: &str = "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main";
const LOCAL: &str = "arn:aws:cloudtrail:eu-west-1:111122223333:trail/local";

fn account(config: &[&Rule], cloudtrail: &[&Rule], iam: &[&Rule], macie: &[&Rule]) -> AwsAccount {
    AwsAccount::from_clients(
        mock_client!(aws_sdk_s3, NONE),
        mock_client!(aws_sdk_kms, NONE),
        mock_client!(aws_sdk_codepipeline, NONE),
        mock_client!(aws_sdk_config, RuleMode::MatchAny, config),
        mock_client!(aws_sdk_resourcegroupstagging, NONE),
    )
    .with_account_clients(
        mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, cloudtrail),
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, iam),
        mock_client!(aws_sdk_macie2, RuleMode::MatchAny, macie),
    )
}

fn cloudtrail_rules() -> Vec<Rule> {
    vec![
        mock!(aws_sdk_cloudtrail::Client::describe_trails)
            .match_requests(|r| r.include_shadow_trails() == Some(true))
            .then_output(|| {
                DescribeTrailsOutput::builder()
                    .trail_list(
                        ct::Trail::builder()
                            .name("main")
                            .trail_arn(MAIN)
                            .is_multi_region_trail(true)
                            .log_file_validation_enabled(true)
                            .kms_key_id("arn:aws:kms:eu-west-1:111122223333:key/trail")
                            .build(),
                    )
                    .trail_list(ct::Trail::builder().name("local").trail_arn(LOCAL).build())
                    .build()
            }),
        mock!(aws_sdk_cloudtrail::Client::get_trail_status)
            .match_requests(|r| r.name() == Some(MAIN))
            .then_output(|| GetTrailStatusOutput::builder().is_logging(true).build()),
        mock!(aws_sdk_cloudtrail::Client::get_trail_status)
            .match_requests(|r| r.name() == Some(LOCAL))
            .then_output(|| GetTrailStatusOutput::builder().is_logging(false).build()),
        mock!(aws_sdk_cloudtrail::Client::get_event_selectors)
            .match_requests(|r| r.trail_name() == Some(MAIN))
            .then_output(|| {
                GetEventSelectorsOutput::builder()
                    .advanced_event_selectors(
                        ct::AdvancedEventSelector::builder()
                            .field_selectors(
                                ct::AdvancedFieldSelector::builder()
                                    .field("eventCategory")
                                    .equals("Management")
                                    .build()
                                    .expect("field"),
                            )
                            .field_selectors(
                                ct::AdvancedFieldSelector::builder()
                                    .field("readOnly")
                                    .equals("false")
                                    .build()
                                    .expect("field"),
                            )
                            .build()
                            .expect("selector"),
                    )
                    .build()
            }),
        mock!(aws_sdk_cloudtrail::Client::get_event_selectors)
            .match_requests(|r| r.trail_name() == Some(LOCAL))
            .then_output(|| {
                GetEventSelectorsOutput::builder()
                    .event_selectors(
                        ct::EventSelector::builder()
                            .read_write_type(ct::ReadWriteType::ReadOnly)
                            .include_management_events(true)
                            .build(),
                    )
                    .build()
            }),
    ]
}

fn recorder(group: cfg::RecordingGroup) -> Rule {
    mock!(aws_sdk_config::Client::describe_configuration_recorders).then_output(move || {
        DescribeConfigurationRecordersOutput::builder()
            .configuration_recorders(
                cfg::ConfigurationRecorder::builder()
                    .name("default")
                    .recording_group(group.clone())
                    .build(),
            )
            .build()
    })
}

fn listing(resource_type: &'static str, id: &'static str) -> Rule {
    mock!(aws_sdk_config::Client::list_discovered_resources)
        .match_requests(move |r| r.resource_type().map(|t| t.as_str()) == Some(resource_type))
        .then_output(move || {
            ListDiscoveredResourcesOutput::builder()
                .resource_identifiers(
                    cfg::ResourceIdentifier::builder()
                        .resource_type(cfg::ResourceType::from(resource_type))
                        .resource_id(id)
                        .build(),
                )
                .build()
        })
}

fn item(resource_type: &str, id: &str, configuration: &str) -> cfg::BaseConfigurationItem {
    cfg::BaseConfigurationItem::builder()
        .resource_type(cfg::ResourceType::from(resource_type))
        .resource_id(id)
        .account_id("111122223333")
        .aws_region("eu-west-1")
        .configuration_item_status(cfg::ConfigurationItemStatus::Ok)
        .configuration(configuration)
        .build()
}

fn items() -> Rule {
    mock!(aws_sdk_config::Client::batch_get_resource_config)
        .match_requests(|r| r.resource_keys().len() == 1)
        .then_output(|| {
            BatchGetResourceConfigOutput::builder()
                .base_configuration_items(item(
                    "AWS::CodeBuild::Project",
                    "build-app",
                    r#"{"name":"build-app","vpcConfig":{"vpcId":"vpc-1","subnets":["subnet-1"]}}"#,
                ))
                .build()
        })
}

/// One `BatchGetResourceConfig` for both types' listed resources.
fn endpoint_and_project() -> Rule {
    mock!(aws_sdk_config::Client::batch_get_resource_config)
        .match_requests(|r| r.resource_keys().len() == 2)
        .then_output(|| {
            BatchGetResourceConfigOutput::builder()
                .base_configuration_items(item(
                    "AWS::EC2::VPCEndpoint",
                    "vpce-1",
                    r#"{"vpcEndpointId":"vpce-1","vpcId":"vpc-1","serviceName":"com.amazonaws.eu-west-1.codepipeline","vpcEndpointType":"Interface","state":"available","privateDnsEnabled":true}"#,
                ))
                .base_configuration_items(item(
                    "AWS::CodeBuild::Project",
                    "build-app",
                    r#"{"name":"build-app","vpcConfig":{"vpcId":"vpc-1","subnets":["subnet-1"]}}"#,
                ))
                .build()
        })
}

fn mfa(enabled: i32) -> Rule {
    mock!(aws_sdk_iam::Client::get_account_summary).then_output(move || {
        GetAccountSummaryOutput::builder()
            .summary_map(SummaryKeyType::AccountMfaEnabled, enabled)
            .summary_map(SummaryKeyType::Users, 3)
            .build()
    })
}

fn macie_error(status: u16, code: &str, message: &str) -> Rule {
    let body = format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}");
    mock!(aws_sdk_macie2::Client::get_macie_session)
        .sequence()
        .http_status(status, Some(body))
        .build()
}

/// Answers for the sources a test does not look at: no trails, MFA on, Macie enabled.
fn quiet() -> (Rule, Rule, Rule) {
    (
        mock!(aws_sdk_cloudtrail::Client::describe_trails)
            .then_output(|| DescribeTrailsOutput::builder().build()),
        mfa(1),
        mock!(aws_sdk_macie2::Client::get_macie_session).then_output(|| {
            GetMacieSessionOutput::builder()
                .status(MacieStatus::Enabled)
                .build()
        }),
    )
}

fn reason<T>(fact: &Fact<T>) -> Option<&str> {
    match fact {
        Fact::Unknown(r) => Some(r),
        Fact::Known(_) => None,
    }
}

fn read(account: &AwsAccount) -> AccountFacts {
    block_on(account.read_account())
}

#[test]
fn the_account_is_read_from_cloudtrail_config_macie_and_iam_with_one_call_each() {
    let ct = cloudtrail_rules();
    let ct: Vec<&Rule> = ct.iter().collect();
    let all = cfg::RecordingGroup::builder().all_supported(true).build();
    let (rec, endpoints, projects, batch) = (
        recorder(all),
        listing("AWS::EC2::VPCEndpoint", "vpce-1"),
        listing("AWS::CodeBuild::Project", "build-app"),
        endpoint_and_project(),
    );
    let macie = mock!(aws_sdk_macie2::Client::get_macie_session).then_output(|| {
        GetMacieSessionOutput::builder()
            .status(MacieStatus::Enabled)
            .build()
    });
    let mfa = mfa(1);
    let account = account(
        &[&rec, &endpoints, &projects, &batch],
        &ct,
        &[&mfa],
        &[&macie],
    );
    let facts = read(&account);

    let Fact::Known(trails) = &facts.trails else {
        panic!("trails: {:?}", facts.trails)
    };
    assert_eq!(trails.len(), 2);
    assert_eq!(&*trails[0].name, MAIN);
    assert!(trails[0].multi_region && trails[0].log_file_validation);
    assert_eq!(trails[0].logging, Fact::Known(true));
    assert_eq!(trails[0].records_management_writes, Fact::Known(true));
    assert_eq!(trails[1].logging, Fact::Known(false));
    assert_eq!(trails[1].records_management_writes, Fact::Known(false));
    let Fact::Known(endpoints) = &facts.endpoints else {
        panic!("endpoints: {:?}", facts.endpoints)
    };
    assert_eq!(endpoints.len(), 1);
    assert!(endpoints[0].reaches_codepipeline() && endpoints[0].private_dns);
    let Fact::Known(attached) = &facts.vpc_attachments else {
        panic!("attachments: {:?}", facts.vpc_attachments)
    };
    assert_eq!(attached.len(), 1);
    assert_eq!(&*attached[0].vpc_id, "vpc-1");
    assert_eq!(facts.macie_enabled, Fact::Known(true));
    assert_eq!(facts.root_mfa, Fact::Known(true));
    // DescribeTrails, 2 × (GetTrailStatus, GetEventSelectors), DescribeConfigurationRecorders,
    // 2 × ListDiscoveredResources, one BatchGetResourceConfig for both types' resources,
    // GetMacieSession, GetAccountSummary.
    assert_eq!(account.calls(), 11);
    assert_eq!(batch.num_calls(), 1);
}

#[test]
fn a_type_the_recorder_does_not_record_is_unknown_not_empty() {
    let only_projects = cfg::RecordingGroup::builder()
        .all_supported(false)
        .resource_types(cfg::ResourceType::from("AWS::CodeBuild::Project"))
        .recording_strategy(
            cfg::RecordingStrategy::builder()
                .use_only(cfg::RecordingStrategyType::InclusionByResourceTypes)
                .build(),
        )
        .build();
    let excluding_endpoints = cfg::RecordingGroup::builder()
        .all_supported(false)
        .exclusion_by_resource_types(
            cfg::ExclusionByResourceTypes::builder()
                .resource_types(cfg::ResourceType::from("AWS::EC2::VPCEndpoint"))
                .build(),
        )
        .recording_strategy(
            cfg::RecordingStrategy::builder()
                .use_only(cfg::RecordingStrategyType::ExclusionByResourceTypes)
                .build(),
        )
        .build();
    for group in [only_projects, excluding_endpoints] {
        let (rec, projects, batch) = (
            recorder(group),
            listing("AWS::CodeBuild::Project", "build-app"),
            items(),
        );
        let endpoints_listed = mock!(aws_sdk_config::Client::list_discovered_resources)
            .match_requests(|r| {
                r.resource_type().map(|t| t.as_str()) == Some("AWS::EC2::VPCEndpoint")
            })
            .then_output(|| ListDiscoveredResourcesOutput::builder().build());
        let (trails, mfa, macie) = quiet();
        let account = account(
            &[&rec, &projects, &batch, &endpoints_listed],
            &[&trails],
            &[&mfa],
            &[&macie],
        );
        let facts = read(&account);
        assert!(
            matches!(&facts.endpoints, Fact::Unknown(r) if r.contains("does not record AWS::EC2::VPCEndpoint")),
            "{:?}",
            facts.endpoints
        );
        assert!(matches!(facts.vpc_attachments, Fact::Known(ref a) if a.len() == 1));
        assert_eq!(endpoints_listed.num_calls(), 0, "nothing to list");
    }
}

#[test]
fn macie_not_enabled_is_false_and_any_other_failure_is_unknown() {
    for (status, code, message, expected) in [
        (
            403,
            "AccessDeniedException",
            "Macie is not enabled.",
            Some(false),
        ),
        (404, "ResourceNotFoundException", "no session", Some(false)),
        (
            403,
            "AccessDeniedException",
            "User is not authorized to perform macie2:GetMacieSession",
            None,
        ),
        (400, "ValidationException", "bad request", None),
    ] {
        let macie = macie_error(status, code, message);
        let (trails, mfa, _) = quiet();
        let rec = recorder(cfg::RecordingGroup::builder().all_supported(false).build());
        let account = account(&[&rec], &[&trails], &[&mfa], &[&macie]);
        let facts = read(&account);
        match expected {
            Some(enabled) => assert_eq!(facts.macie_enabled, Fact::Known(enabled), "{code}"),
            None => assert!(
                matches!(&facts.macie_enabled, Fact::Unknown(r) if r.contains("macie2:GetMacieSession") && r.contains(code)),
                "{code}: {:?}",
                facts.macie_enabled
            ),
        }
    }
}

#[test]
fn every_unreadable_source_is_unknown_with_the_operation_that_failed() {
    let denied_trails = mock!(aws_sdk_cloudtrail::Client::describe_trails)
        .sequence()
        .http_status(400, json_error("AccessDeniedException"))
        .build();
    let denied_recorders = mock!(aws_sdk_config::Client::describe_configuration_recorders)
        .sequence()
        .http_status(400, json_error("AccessDeniedException"))
        .build();
    let no_mfa = mfa(0);
    let macie = macie_error(403, "AccessDeniedException", "not authorized");
    let account = account(
        &[&denied_recorders],
        &[&denied_trails],
        &[&no_mfa],
        &[&macie],
    );
    let facts = read(&account);
    for (reason, operation) in [
        (reason(&facts.trails), "cloudtrail:DescribeTrails"),
        (
            reason(&facts.endpoints),
            "config:DescribeConfigurationRecorders",
        ),
        (
            reason(&facts.vpc_attachments),
            "config:DescribeConfigurationRecorders",
        ),
    ] {
        assert!(
            reason.is_some_and(|r| r.contains(operation) && r.contains("AccessDeniedException")),
            "{operation}: {reason:?}"
        );
    }
    assert_eq!(facts.root_mfa, Fact::Known(false));
    assert!(
        matches!(facts.macie_enabled, Fact::Unknown(_)),
        "denied is never \"not enabled\""
    );
}
