use serde_json::json;

use super::*;

fn basic(rw: &str, management: bool, excluded: &[&str]) -> EventSelector {
    EventSelector {
        read_write_type: Some(rw.into()),
        include_management_events: Some(management),
        excluded_sources: excluded.iter().map(|s| s.to_string()).collect(),
    }
}

fn field(name: &str, equals: &[&str], not_equals: &[&str]) -> FieldSelector {
    FieldSelector {
        field: name.into(),
        equals: equals.iter().map(|s| s.to_string()).collect(),
        not_equals: not_equals.iter().map(|s| s.to_string()).collect(),
        patterns: false,
    }
}

#[test]
fn no_selectors_is_cloudtrails_default_of_every_management_event() {
    assert_eq!(records_management_writes(&[], &[]), Fact::Known(true));
}

#[test]
fn basic_selectors_record_writes_only_when_all_or_write_only_with_management_events() {
    for (selector, expected) in [
        (basic("All", true, &[]), true),
        (basic("WriteOnly", true, &[]), true),
        (basic("ReadOnly", true, &[]), false),
        (basic("All", false, &[]), false),
        (basic("All", true, &["kms.amazonaws.com"]), false),
        (basic("WriteOnly", true, &["rdsdata.amazonaws.com"]), true),
    ] {
        assert_eq!(
            records_management_writes(std::slice::from_ref(&selector), &[]),
            Fact::Known(expected),
            "{selector:?}"
        );
    }
    let defaults = EventSelector {
        read_write_type: None,
        include_management_events: None,
        excluded_sources: vec![],
    };
    assert_eq!(
        records_management_writes(&[defaults], &[]),
        Fact::Known(true)
    );
}

#[test]
fn any_selector_that_records_them_is_enough() {
    let selectors = [basic("ReadOnly", true, &[]), basic("WriteOnly", true, &[])];
    assert_eq!(
        records_management_writes(&selectors, &[]),
        Fact::Known(true)
    );
}

#[test]
fn advanced_selectors_record_writes_when_management_and_writes_and_watched_sources_match() {
    let management = field("eventCategory", &["Management"], &[]);
    for (fields, expected) in [
        (vec![management.clone()], true),
        (
            vec![management.clone(), field("readOnly", &["false"], &[])],
            true,
        ),
        (
            vec![management.clone(), field("readOnly", &["true"], &[])],
            false,
        ),
        (
            vec![management.clone(), field("readOnly", &[], &["false"])],
            false,
        ),
        (
            vec![
                management.clone(),
                field("eventSource", &[], &["kms.amazonaws.com"]),
            ],
            false,
        ),
        (
            vec![
                management.clone(),
                field("eventSource", &[], &["rdsdata.amazonaws.com"]),
            ],
            true,
        ),
        (
            vec![
                management.clone(),
                field("eventSource", &["s3.amazonaws.com"], &[]),
            ],
            false,
        ),
        (vec![field("eventCategory", &["Data"], &[])], false),
        // A selector without eventCategory is not a management selector CloudTrail accepts.
        (vec![field("readOnly", &["false"], &[])], false),
    ] {
        assert_eq!(
            records_management_writes(&[], std::slice::from_ref(&fields)),
            Fact::Known(expected),
            "{fields:?}"
        );
    }
}

#[test]
fn an_advanced_field_it_cannot_judge_is_unknown_never_a_pass() {
    let management = field("eventCategory", &["Management"], &[]);
    let by_name = vec![
        management.clone(),
        field("eventName", &["CreatePipeline"], &[]),
    ];
    let mut prefix = field("eventSource", &[], &[]);
    prefix.patterns = true;
    let by_prefix = vec![management.clone(), prefix];
    for fields in [by_name, by_prefix] {
        let verdict = records_management_writes(&[], std::slice::from_ref(&fields));
        assert!(
            matches!(&verdict, Fact::Unknown(r) if r.contains("advanced event selector 0")),
            "{verdict:?}"
        );
    }
    // Undecided next to a certain recorder is a pass; next to a certain miss it stays unknown.
    let unknown = vec![
        management.clone(),
        field("eventName", &["CreatePipeline"], &[]),
    ];
    assert_eq!(
        records_management_writes(&[], &[unknown.clone(), vec![management.clone()]]),
        Fact::Known(true)
    );
    assert!(matches!(
        records_management_writes(&[basic("ReadOnly", true, &[])], &[unknown]),
        Fact::Unknown(_)
    ));
}

fn item(resource_type: &str, id: &str, configuration: serde_json::Value) -> AccountFacts {
    let serde_json::Value::Object(c) = configuration else {
        panic!("configuration must be an object")
    };
    AccountFacts::from_item(resource_type, id, Ok(c), false)
}

#[test]
fn pieces_join_by_id_the_later_piece_winning() {
    let mut account = AccountFacts::from_config();
    assert!(matches!(&account.trails, Fact::Unknown(r) if r.starts_with(UNSEEN)));
    let trail = |multi| {
        item(
            "AWS::CloudTrail::Trail",
            "main",
            json!({"name": "main", "isMultiRegionTrail": multi, "logFileValidationEnabled": true}),
        )
    };
    account.absorb(trail(false));
    account.absorb(trail(true));
    account.absorb(item(
        "AWS::CloudTrail::Trail",
        "other",
        json!({"name": "other", "hasCustomEventSelectors": true, "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/k"}),
    ));
    let Fact::Known(trails) = &account.trails else {
        panic!("trails unknown: {:?}", account.trails)
    };
    assert_eq!(trails.len(), 2);
    assert!(trails[0].multi_region && trails[0].log_file_validation);
    assert_eq!(trails[0].records_management_writes, Fact::Known(true));
    assert!(matches!(trails[0].logging, Fact::Unknown(_)));
    assert!(
        matches!(&trails[1].records_management_writes, Fact::Unknown(r) if r.contains("GetEventSelectors"))
    );
    assert_eq!(
        trails[1].kms_key.as_deref(),
        Some("arn:aws:kms:eu-west-1:111122223333:key/k")
    );
    // Lists no piece reached stay unknown: the recorder may not record them.
    assert!(matches!(&account.endpoints, Fact::Unknown(r) if r.contains("AWS::EC2::VPCEndpoint")));
}

#[test]
fn an_unreadable_piece_leaves_its_list_unknown_whatever_else_is_known() {
    let mut account = AccountFacts::from_config();
    account.absorb(item(
        "AWS::EC2::VPCEndpoint",
        "vpce-1",
        json!({"vpcId": "vpc-1", "serviceName": "com.amazonaws.eu-west-1.codepipeline",
               "vpcEndpointType": "Interface", "state": {"value": "available"}, "privateDnsEnabled": true}),
    ));
    let Fact::Known(endpoints) = &account.endpoints else {
        panic!("endpoints unknown")
    };
    assert!(
        endpoints[0].reaches_codepipeline() && endpoints[0].available && endpoints[0].interface
    );
    account.absorb(AccountFacts::from_item(
        "AWS::EC2::VPCEndpoint",
        "vpce-2",
        Err("configuration is not JSON".into()),
        false,
    ));
    assert!(matches!(&account.endpoints, Fact::Unknown(r) if r.contains("vpce-2")));
    account.absorb(item(
        "AWS::EC2::VPCEndpoint",
        "vpce-3",
        json!({"vpcId": "vpc-1", "serviceName": "com.amazonaws.eu-west-1.s3"}),
    ));
    assert!(
        matches!(account.endpoints, Fact::Unknown(_)),
        "a later piece must not hide it"
    );
}

#[test]
fn a_deleted_item_says_only_that_the_type_is_recorded() {
    let mut account = AccountFacts::from_config();
    account.absorb(AccountFacts::from_item(
        "AWS::CodeBuild::Project",
        "p",
        Ok(Map::new()),
        true,
    ));
    assert_eq!(account.vpc_attachments, Fact::Known(vec![]));
}

#[test]
fn only_codepipeline_service_names_reach_codepipeline() {
    let endpoint = |service: &str| VpcEndpoint {
        id: "vpce-1".into(),
        vpc_id: "vpc-1".into(),
        service_name: service.into(),
        interface: true,
        available: true,
        private_dns: true,
    };
    assert!(endpoint("com.amazonaws.eu-west-1.codepipeline").reaches_codepipeline());
    assert!(endpoint("com.amazonaws.us-east-1.codepipeline-fips").reaches_codepipeline());
    assert!(!endpoint("com.amazonaws.eu-west-1.codebuild").reaches_codepipeline());
    assert!(!endpoint("com.amazonaws.eu-west-1.codepipeline.evil").reaches_codepipeline());
}
