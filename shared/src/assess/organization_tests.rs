//! One inventory of many accounts (an organization's snapshots): each resource is judged within
//! its own account and region, lookups never cross into another account's keys, and the newest
//! item of a resource wins whatever order the files are read in.

use super::tests::{good_bucket, good_key, good_pipeline, subject, ACCOUNT, BUCKET, KEY_ID};
use super::ScopeIndex;
use super::{Assessor, Compliance, Evaluation, Inventory, KeyLookup, Place, RuleParameters};
use crate::controls::{ControlId as C, Status};
use crate::facts::*;

const MEMBER: &str = "444455556666";

fn at(kind: ResourceKind, id: &str, account: &str, region: &str, time: &str) -> Subject {
    Subject {
        account_id: Some(account.into()),
        region: Some(region.into()),
        captured_at: Some(time.into()),
        ..subject(kind, id)
    }
}

fn key(id: &str, enabled: bool) -> ResourceFacts {
    let mut k = good_key(id);
    if !enabled {
        k.state = Fact::Known("Disabled".into());
    }
    ResourceFacts::Key(Fact::Known(Box::new(k)))
}

fn bucket_with_bare_key(name: &str) -> ResourceFacts {
    let mut b = good_bucket(name);
    b.encryption = Fact::Known(Some(DefaultEncryption {
        algorithm: "aws:kms".into(),
        key: Some(KeyRef::parse(KEY_ID)),
    }));
    ResourceFacts::Bucket(Fact::Known(Box::new(b)))
}

fn assess_all(inventory: &Inventory) -> Vec<Evaluation> {
    let params = RuleParameters::from_json(r#"{"scope":"all"}"#).expect("valid");
    let scope = ScopeIndex::from_inventory(inventory);
    Assessor::new(&params, inventory, &scope)
        .assess_all()
        .collect()
}

fn finding(e: &Evaluation, control: C) -> (Status, String) {
    let f = e
        .findings
        .iter()
        .find(|f| f.control == control)
        .unwrap_or_else(|| panic!("{control} not reported: {e:?}"));
    (f.status, f.detail.to_string())
}

const T1: &str = "2026-11-01T00:00:00.000Z";
const T2: &str = "2026-11-02T00:00:00.000Z";

#[test]
fn a_bare_key_id_is_resolved_in_the_referring_buckets_own_account() {
    // The same key id in two accounts (a copied template, or a multi-Region key): the member's
    // bucket must be judged with the member's disabled key, not the central account's.
    let mut inventory = Inventory::new();
    let eu = "eu-west-1";
    inventory.insert(
        at(ResourceKind::Key, KEY_ID, ACCOUNT, eu, T1),
        key(KEY_ID, true),
    );
    inventory.insert(
        at(ResourceKind::Key, KEY_ID, MEMBER, eu, T1),
        key(KEY_ID, false),
    );
    inventory.insert(
        at(ResourceKind::Bucket, "member-artifacts", MEMBER, eu, T1),
        bucket_with_bare_key("member-artifacts"),
    );
    inventory.insert(
        at(ResourceKind::Bucket, "central-artifacts", ACCOUNT, eu, T1),
        bucket_with_bare_key("central-artifacts"),
    );
    assert_eq!(inventory.len(), 4, "both keys are kept");
    let evaluations = assess_all(&inventory);
    let of = |id: &str| {
        evaluations
            .iter()
            .find(|e| &*e.compliance_resource_id == id)
            .unwrap_or_else(|| panic!("{id} not assessed"))
    };
    let (status, detail) = finding(of("member-artifacts"), C::BucketKeyUsable);
    assert_eq!(status, Status::Fail, "{detail}");
    assert!(detail.contains("Disabled"), "{detail}");
    assert_eq!(
        finding(of("central-artifacts"), C::BucketKeyUsable).0,
        Status::Pass
    );
    let keys: Vec<_> = evaluations
        .iter()
        .filter(|e| e.compliance_resource_type == "AWS::KMS::Key")
        .map(|e| (e.account_id.as_deref(), e.compliance_type))
        .collect();
    assert_eq!(
        keys,
        [
            (Some(ACCOUNT), Compliance::Compliant),
            (Some(MEMBER), Compliance::NonCompliant)
        ]
    );
}

#[test]
fn a_key_of_an_account_that_was_not_read_is_unknown_never_another_accounts() {
    let mut inventory = Inventory::new();
    inventory.insert(
        at(ResourceKind::Key, KEY_ID, ACCOUNT, "eu-west-1", T1),
        key(KEY_ID, true),
    );
    let bare = KeyRef::parse(KEY_ID);
    let member = Place {
        account: Some(MEMBER),
        region: Some("eu-west-1"),
    };
    match inventory.key(&bare, member) {
        KeyLookup::Unknown(why) => assert!(why.contains(MEMBER), "{why}"),
        other => panic!("the central account's key was used for the member: {other:?}"),
    }
    // An ARN names its own account and region, wherever the reference is made from.
    let arn = KeyRef::parse(&format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY_ID}"));
    assert!(matches!(inventory.key(&arn, member), KeyLookup::Found(_)));
    let other_region = KeyRef::parse(&format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"));
    assert!(matches!(
        inventory.key(&other_region, member),
        KeyLookup::Unknown(_)
    ));
}

#[test]
fn pipelines_of_the_same_name_in_two_accounts_are_two_resources() {
    let mut inventory = Inventory::new();
    for account in [ACCOUNT, MEMBER] {
        inventory.insert(
            at(ResourceKind::Pipeline, "web", account, "eu-west-1", T1),
            ResourceFacts::Pipeline(Fact::Known(Box::new(PipelineFacts::from_document(
                good_pipeline("web"),
                Some(account),
            )))),
        );
    }
    // Bucket names are global: the central bucket serves the member's pipeline too.
    inventory.insert(
        at(ResourceKind::Bucket, BUCKET, ACCOUNT, "eu-west-1", T1),
        ResourceFacts::Bucket(Fact::Known(Box::new(good_bucket(BUCKET)))),
    );
    inventory.insert(
        at(ResourceKind::Key, KEY_ID, ACCOUNT, "eu-west-1", T1),
        key(KEY_ID, true),
    );
    let evaluations = assess_all(&inventory);
    let pipelines: Vec<_> = evaluations
        .iter()
        .filter(|e| &*e.compliance_resource_id == "web")
        .map(|e| e.account_id.as_deref())
        .collect();
    assert_eq!(pipelines, [Some(ACCOUNT), Some(MEMBER)]);
    for e in evaluations
        .iter()
        .filter(|e| &*e.compliance_resource_id == "web")
    {
        assert_eq!(
            finding(e, C::PipelineStoreProtected).0,
            Status::Pass,
            "{e:?}"
        );
    }
}

#[test]
fn the_newest_item_of_a_resource_wins_in_any_reading_order() {
    for newest_first in [false, true] {
        let mut inventory = Inventory::new();
        let mut items = vec![
            (
                at(ResourceKind::Key, KEY_ID, MEMBER, "eu-west-1", T1),
                key(KEY_ID, true),
            ),
            (
                at(ResourceKind::Key, KEY_ID, MEMBER, "eu-west-1", T2),
                key(KEY_ID, false),
            ),
        ];
        if newest_first {
            items.reverse();
        }
        for (subject, facts) in items {
            inventory.insert(subject, facts);
        }
        assert_eq!(inventory.len(), 1);
        let e = &assess_all(&inventory)[0];
        assert_eq!(
            finding(e, C::KeyEnabled).0,
            Status::Fail,
            "newest first: {newest_first}"
        );
        assert_eq!(e.ordering_timestamp.as_deref(), Some(T2));
    }
}
