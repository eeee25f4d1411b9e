//! Given an account's facts, when its controls run, then each control's status and the words
//! that explain it.

use super::*;
use crate::facts::{VpcAttachment, VpcEndpoint};

const REGION: &str = "eu-west-1";

/// A change made to a fact to see one control fail.
type Change<T> = fn(&mut T);

fn trail(name: &str) -> Trail {
    Trail {
        name: name.into(),
        multi_region: true,
        organization: false,
        logging: Fact::Known(true),
        records_management_writes: Fact::Known(true),
        log_file_validation: true,
        kms_key: Some("arn:aws:kms:eu-west-1:111122223333:key/trail".into()),
    }
}

fn endpoint(vpc: &str) -> VpcEndpoint {
    VpcEndpoint {
        id: format!("vpce-{vpc}").into(),
        vpc_id: vpc.into(),
        service_name: format!("com.amazonaws.{REGION}.codepipeline").into(),
        interface: true,
        available: true,
        private_dns: true,
    }
}

fn attached(project: &str, vpc: &str) -> VpcAttachment {
    VpcAttachment {
        resource: format!("CodeBuild project {project}").into(),
        vpc_id: vpc.into(),
    }
}

fn good() -> AccountFacts {
    AccountFacts {
        trails: Fact::Known(vec![trail("management")]),
        endpoints: Fact::Known(vec![endpoint("vpc-1")]),
        vpc_attachments: Fact::Known(vec![attached("build", "vpc-1")]),
        macie_enabled: Fact::Known(true),
        root_mfa: Fact::Known(true),
    }
}

fn run(account: &AccountFacts) -> Vec<Outcome> {
    let mut out = Vec::new();
    check(account, Some(REGION), &mut out);
    out
}

fn status(account: &AccountFacts, control: C) -> (Status, String) {
    let outcome = run(account)
        .into_iter()
        .find(|o| o.control == control)
        .expect("every account control reports");
    (outcome.status, outcome.detail.into_owned())
}

#[test]
fn a_protected_account_passes_every_control_once() {
    let outcomes = run(&good());
    let controls: Vec<C> = outcomes.iter().map(|o| o.control).collect();
    assert_eq!(
        controls,
        [
            C::AccountCloudtrail,
            C::AccountCloudtrailProtected,
            C::AccountCodepipelineEndpoint,
            C::AccountMacie,
            C::AccountRootMfa
        ]
    );
    for o in &outcomes {
        assert_eq!(o.status, Status::Pass, "{}: {}", o.control, o.detail);
    }
    assert_eq!(
        status(&good(), C::AccountCloudtrail).1,
        "trail management is logging management write events in every region"
    );
}

#[test]
fn a_trail_that_misses_any_part_does_not_record_the_accounts_activity() {
    let cases: [(Change<Trail>, &str); 3] = [
        (
            |t| t.multi_region = false,
            "trail management is single-region",
        ),
        (
            |t| t.logging = Fact::Known(false),
            "trail management is not logging",
        ),
        (
            |t| t.records_management_writes = Fact::Known(false),
            "trail management records no management write events",
        ),
    ];
    for (change, words) in cases {
        let mut account = good();
        if let Fact::Known(trails) = &mut account.trails {
            change(&mut trails[0]);
        }
        let (status, detail) = status(&account, C::AccountCloudtrail);
        assert_eq!(status, Status::Fail, "{detail}");
        assert!(detail.ends_with(words), "{detail}");
    }
}

#[test]
fn one_good_trail_among_bad_ones_passes_and_an_organization_trail_counts() {
    let mut bad = trail("regional");
    bad.multi_region = false;
    let mut org = trail("o-example/org-trail");
    org.organization = true;
    let account = AccountFacts {
        trails: Fact::Known(vec![bad, org]),
        ..good()
    };
    let (status, detail) = status(&account, C::AccountCloudtrail);
    assert_eq!(status, Status::Pass);
    assert_eq!(
        detail,
        "organization trail o-example/org-trail is logging management write events in every region"
    );
}

#[test]
fn no_trail_fails_and_unknown_parts_are_never_a_pass() {
    let none = AccountFacts {
        trails: Fact::Known(vec![]),
        ..good()
    };
    assert_eq!(
        status(&none, C::AccountCloudtrail),
        (
            Status::Fail,
            "no CloudTrail trail applies to this account and region".into()
        )
    );
    assert_eq!(status(&none, C::AccountCloudtrailProtected).0, Status::Fail);

    let mut unsure = trail("t");
    unsure.logging = Fact::unknown("cloudtrail:GetTrailStatus failed: AccessDenied");
    let account = AccountFacts {
        trails: Fact::Known(vec![unsure]),
        ..good()
    };
    let (status_of, detail) = status(&account, C::AccountCloudtrail);
    assert_eq!(status_of, Status::Unknown);
    assert_eq!(
        detail,
        "trail t: cloudtrail:GetTrailStatus failed: AccessDenied"
    );
    // Protected, but not known to record anything: not a pass either.
    assert_eq!(
        status(&account, C::AccountCloudtrailProtected).0,
        Status::Unknown
    );

    let unread = AccountFacts {
        trails: Fact::unknown("cloudtrail:DescribeTrails failed"),
        ..good()
    };
    assert_eq!(status(&unread, C::AccountCloudtrail).0, Status::Unknown);
    assert_eq!(
        status(&unread, C::AccountCloudtrailProtected).0,
        Status::Unknown
    );
}

#[test]
fn the_recording_trail_must_be_encrypted_and_validated() {
    for (change, words) in [
        (
            (|t: &mut Trail| t.kms_key = None) as fn(&mut Trail),
            "trail management: its log files are not SSE-KMS encrypted",
        ),
        (
            |t| t.log_file_validation = false,
            "trail management: log file validation is off",
        ),
    ] {
        let mut account = good();
        if let Fact::Known(trails) = &mut account.trails {
            change(&mut trails[0]);
        }
        assert_eq!(
            status(&account, C::AccountCloudtrailProtected),
            (Status::Fail, words.into())
        );
    }
    // A protected trail that records nothing does not protect the one that does.
    let mut idle = trail("idle");
    idle.logging = Fact::Known(false);
    let mut open = trail("open");
    open.kms_key = None;
    let account = AccountFacts {
        trails: Fact::Known(vec![idle, open]),
        ..good()
    };
    assert_eq!(
        status(&account, C::AccountCloudtrailProtected),
        (
            Status::Fail,
            "trail open: its log files are not SSE-KMS encrypted".into()
        )
    );
}

#[test]
fn every_vpc_with_a_build_project_needs_a_private_codepipeline_endpoint() {
    let account = AccountFacts {
        vpc_attachments: Fact::Known(vec![]),
        ..good()
    };
    assert_eq!(
        status(&account, C::AccountCodepipelineEndpoint).0,
        Status::NotApplicable
    );

    let cases: [(Change<VpcEndpoint>, &str); 4] = [
        (
            |e| e.service_name = "com.amazonaws.eu-west-1.s3".into(),
            "vpc-1 (used by CodeBuild project build): no com.amazonaws.eu-west-1.codepipeline endpoint",
        ),
        (
            |e| e.interface = false,
            "vpc-1 (used by CodeBuild project build): endpoint vpce-vpc-1 is not an interface endpoint",
        ),
        (
            |e| e.available = false,
            "vpc-1 (used by CodeBuild project build): endpoint vpce-vpc-1 is not available",
        ),
        (
            |e| e.private_dns = false,
            "vpc-1 (used by CodeBuild project build): endpoint vpce-vpc-1 has private DNS off",
        ),
    ];
    for (change, words) in cases {
        let mut account = good();
        if let Fact::Known(endpoints) = &mut account.endpoints {
            change(&mut endpoints[0]);
        }
        assert_eq!(
            status(&account, C::AccountCodepipelineEndpoint),
            (Status::Fail, words.into())
        );
    }

    // An endpoint in another VPC does not serve this one; the FIPS endpoint service does.
    let mut fips = endpoint("vpc-2");
    fips.service_name = "com.amazonaws.eu-west-1.codepipeline-fips".into();
    let account = AccountFacts {
        endpoints: Fact::Known(vec![endpoint("vpc-1"), fips]),
        vpc_attachments: Fact::Known(vec![
            attached("build", "vpc-1"),
            attached("test", "vpc-2"),
            attached("deploy", "vpc-3"),
        ]),
        ..good()
    };
    assert_eq!(
        status(&account, C::AccountCodepipelineEndpoint),
        (
            Status::Fail,
            "vpc-3 (used by CodeBuild project deploy): no com.amazonaws.eu-west-1.codepipeline endpoint".into()
        )
    );

    let unread = AccountFacts {
        endpoints: Fact::unknown("config:BatchGetResourceConfig failed"),
        ..good()
    };
    assert_eq!(
        status(&unread, C::AccountCodepipelineEndpoint),
        (
            Status::Unknown,
            "config:BatchGetResourceConfig failed".into()
        )
    );
}

#[test]
fn macie_and_root_mfa_pass_only_when_known_to_be_on() {
    for (control, set) in [
        (
            C::AccountMacie,
            (|a: &mut AccountFacts, f| a.macie_enabled = f) as fn(&mut AccountFacts, Fact<bool>),
        ),
        (C::AccountRootMfa, |a, f| a.root_mfa = f),
    ] {
        for (fact, expected) in [
            (Fact::Known(true), Status::Pass),
            (Fact::Known(false), Status::Fail),
            (Fact::unknown("AccessDenied"), Status::Unknown),
        ] {
            let mut account = good();
            set(&mut account, fact);
            assert_eq!(status(&account, control).0, expected, "{control}");
        }
    }
}
