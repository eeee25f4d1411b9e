//! A spilled assessment gives the verdicts of an in-memory one, keeps in memory only what other
//! resources name, and never merges two resources whose identities hash alike.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::super::tests::{good_bucket, good_key, good_pipeline, ACCOUNT, BUCKET, KEY_ID};
use super::{Spill, Spilled};
use crate::assess::{Assessor, Evaluation, Inventory, RuleParameters, ScopeIndex};
use crate::facts::*;

const MEMBER: &str = "444455556666";
const OTHER_KEY: &str = "0000aaaa-12ab-34cd-56ef-1234567890ab";
const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];
const ACCOUNTS: [&str; 2] = [ACCOUNT, MEMBER];
const TIMES: [&str; 3] = [
    "2026-11-01T00:00:00.000Z",
    "2026-11-02T00:00:00.000Z",
    "2026-11-03T00:00:00.000Z",
];
const BUCKETS: [&str; 3] = [BUCKET, "codepipeline-eu-west-1-111122223333", "team-logs"];
const KEYS: [&str; 2] = [KEY_ID, OTHER_KEY];

/// One record: which resource, where, when, and which of a few kinds of facts.
#[derive(Debug, Clone, Copy)]
struct Pick {
    kind: u8,
    name: usize,
    account: usize,
    region: usize,
    time: usize,
    variant: u8,
    reference: usize,
}

fn key_ref(pick: &Pick) -> KeyRef {
    let id = KEYS[pick.reference % KEYS.len()];
    if pick.variant.is_multiple_of(2) {
        KeyRef::parse(id)
    } else {
        let (account, region) = (ACCOUNTS[pick.reference % 2], REGIONS[pick.region]);
        KeyRef::parse(&format!("arn:aws:kms:{region}:{account}:key/{id}"))
    }
}

fn record(pick: &Pick) -> (Subject, ResourceFacts) {
    let kind = [
        ResourceKind::Bucket,
        ResourceKind::Key,
        ResourceKind::Pipeline,
        ResourceKind::Account,
    ][usize::from(pick.kind % 4)];
    let id = match kind {
        ResourceKind::Bucket => BUCKETS[pick.name % BUCKETS.len()].to_owned(),
        ResourceKind::Key => KEYS[pick.name % KEYS.len()].to_owned(),
        ResourceKind::Pipeline => ["web", "api"][pick.name % 2].to_owned(),
        ResourceKind::Account => ACCOUNTS[pick.account].to_owned(),
    };
    let subject = Subject {
        kind,
        id: id.as_str().into(),
        account_id: Some(ACCOUNTS[pick.account].into()),
        region: Some(REGIONS[pick.region].into()),
        captured_at: Some(TIMES[pick.time].into()),
    };
    if pick.variant % 7 == 6 {
        return (
            subject,
            ResourceFacts::Gone("configuration item status is ResourceDeleted".into()),
        );
    }
    let facts = match kind {
        ResourceKind::Bucket => {
            let mut b = good_bucket(&id);
            b.tagged_artifact_store = pick.variant.is_multiple_of(3);
            b.encryption = match pick.variant % 5 {
                4 => Fact::unknown("supplementaryConfiguration is missing"),
                3 => Fact::Known(None),
                _ => Fact::Known(Some(DefaultEncryption {
                    algorithm: "aws:kms".into(),
                    key: Some(key_ref(pick)),
                })),
            };
            ResourceFacts::Bucket(Fact::Known(Box::new(b)))
        }
        ResourceKind::Key => {
            let mut k = good_key(&id);
            if pick.variant % 3 == 1 {
                k.state = Fact::Known("Disabled".into());
            }
            if pick.variant % 5 == 2 {
                k.rotation_enabled = Fact::unknown("AccessDenied");
            }
            ResourceFacts::Key(Fact::Known(Box::new(k)))
        }
        ResourceKind::Pipeline => {
            let mut doc = good_pipeline(&id);
            doc.stores[0].location = BUCKETS[pick.reference % BUCKETS.len()].into();
            if let Some(key) = doc.stores[0].encryption_key.as_mut() {
                key.key = key_ref(pick);
            }
            if pick.variant % 4 == 3 {
                doc.stores[0].encryption_key = None;
            }
            let facts = PipelineFacts::from_document(doc, Some(ACCOUNTS[pick.account]));
            ResourceFacts::Pipeline(Fact::Known(Box::new(facts)))
        }
        // Pieces of an account, as its trail, endpoint and project items bring them.
        ResourceKind::Account => {
            let piece = match pick.variant % 3 {
                0 => {
                    json!({"name": format!("trail-{}", pick.name), "isMultiRegionTrail": pick.name != 1,
                            "logFileValidationEnabled": true})
                }
                1 => json!({"vpcEndpointId": format!("vpce-{}", pick.name), "vpcId": "vpc-1",
                            "serviceName": format!("com.amazonaws.{}.codepipeline", REGIONS[pick.region]),
                            "vpcEndpointType": "Interface", "state": "available", "privateDnsEnabled": pick.name != 2}),
                _ => {
                    json!({"name": format!("build-{}", pick.name), "vpcConfig": {"vpcId": "vpc-1"}})
                }
            };
            let resource_type = ACCOUNT_PART_TYPES[usize::from(pick.variant % 3)];
            let Value::Object(configuration) = piece else {
                unreachable!("an object")
            };
            let facts = AccountFacts::from_item(resource_type, "id", Ok(configuration), false);
            ResourceFacts::Account(Fact::Known(Box::new(facts)))
        }
    };
    (subject, facts)
}

fn params(scope: &str) -> RuleParameters {
    RuleParameters::from_json(&format!(r#"{{"scope":"{scope}"}}"#)).expect("valid")
}

fn in_memory(records: &[(Subject, ResourceFacts)], params: &RuleParameters) -> Vec<Evaluation> {
    let mut inventory = Inventory::new();
    for (subject, facts) in records.iter().cloned() {
        inventory.insert(subject, facts);
    }
    let scope = ScopeIndex::from_inventory(&inventory);
    Assessor::new(params, &inventory, &scope)
        .assess_all()
        .collect()
}

fn spill(records: &[(Subject, ResourceFacts)], spill: Spill) -> Spilled {
    let mut spill = spill;
    for (subject, facts) in records.iter().cloned() {
        spill.insert(subject, facts).expect("written");
    }
    spill.finish().expect("read back")
}

fn spilled(spilled: &mut Spilled, params: &RuleParameters) -> Vec<Evaluation> {
    let mut out = Vec::new();
    spilled
        .assess_each(params, |e| {
            out.push(e.clone());
            Ok(())
        })
        .expect("assessed");
    out
}

/// Every identity hashes to 0: every record after the first is a collision to resolve.
fn colliding() -> Spill {
    Spill::in_file(tempfile::tempfile().expect("a temporary file"), |_, _| 0)
}

fn sorted(evaluations: Vec<Evaluation>) -> Vec<String> {
    let mut texts: Vec<String> = evaluations
        .iter()
        .map(|e| serde_json::to_string(e).expect("serializable"))
        .collect();
    texts.sort();
    texts
}

fn picks() -> impl Strategy<Value = Vec<Pick>> {
    let pick = (
        0..4u8,
        0..3usize,
        0..2usize,
        0..2usize,
        0..3usize,
        0..42u8,
        0..6usize,
    )
        .prop_map(
            |(kind, name, account, region, time, variant, reference)| Pick {
                kind,
                name,
                account,
                region,
                time,
                variant,
                reference,
            },
        );
    prop::collection::vec(pick, 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn spilled_verdicts_are_the_in_memory_verdicts(picks in picks()) {
        let records: Vec<_> = picks.iter().map(record).collect();
        for scope in ["artifact-stores", "all"] {
            let params = params(scope);
            let expected = sorted(in_memory(&records, &params));
            let mut real = spill(&records, Spill::new().expect("a working file"));
            prop_assert_eq!(&sorted(spilled(&mut real, &params)), &expected, "scope {}", scope);
            let mut collided = spill(&records, colliding());
            prop_assert_eq!(&sorted(spilled(&mut collided, &params)), &expected, "scope {}, colliding", scope);
        }
    }
}

fn distinct(records: &[(Subject, ResourceFacts)]) -> Vec<(Subject, ResourceFacts)> {
    let mut seen = std::collections::HashSet::new();
    records
        .iter()
        .filter(|(s, _)| {
            // A bucket is one resource whatever account recorded it.
            let place =
                (s.kind != ResourceKind::Bucket).then(|| (s.account_id.clone(), s.region.clone()));
            seen.insert((s.kind, s.id.clone(), place))
        })
        .cloned()
        .collect()
}

#[test]
fn without_repeats_the_order_is_the_order_read() {
    // Every kind, name, account and region once, with facts varied along the way.
    let mut records = Vec::new();
    for (n, (kind, name, account, region)) in (0..3u8)
        .flat_map(|k| (0..3).map(move |n| (k, n)))
        .flat_map(|(k, n)| (0..2).flat_map(move |a| (0..2).map(move |r| (k, n, a, r))))
        .enumerate()
    {
        let variant = u8::try_from(n % 42).expect("small");
        records.push(record(&Pick {
            kind,
            name,
            account,
            region,
            time: 0,
            variant,
            reference: n % 6,
        }));
    }
    let records = distinct(&records);
    assert_eq!(records.len(), 19, "buckets 3, keys 2×4, pipelines 2×4");
    for scope in ["artifact-stores", "all"] {
        let params = params(scope);
        let mut spilled_records = spill(&records, Spill::new().expect("a working file"));
        assert_eq!(
            spilled(&mut spilled_records, &params),
            in_memory(&records, &params)
        );
    }
}

#[test]
fn the_newest_record_of_a_resource_wins_whatever_the_order_read() {
    let at = |time: usize, variant: u8| {
        record(&Pick {
            kind: 1,
            name: 0,
            account: 0,
            region: 0,
            time,
            variant,
            reference: 0,
        })
    };
    // variant 1: the key is disabled; variant 0: enabled.
    let (old, middle, new, newer_tie) = (at(0, 1), at(1, 1), at(2, 0), at(2, 3));
    for (order, enabled) in [
        (vec![old.clone(), new.clone()], true),
        (vec![old.clone(), new.clone(), middle.clone()], true),
        (vec![old.clone(), new.clone(), newer_tie.clone()], true),
        (vec![new.clone(), old.clone()], true),
        (vec![new.clone(), old.clone(), newer_tie.clone()], true),
        (vec![newer_tie.clone(), new.clone(), old.clone()], true),
        (vec![old.clone()], false),
    ] {
        for make in [Spill::new().expect("a working file"), colliding()] {
            let mut spilled_records = spill(&order, make);
            let evaluations = spilled(&mut spilled_records, &params("all"));
            assert_eq!(evaluations.len(), 1, "one resource: {evaluations:?}");
            assert_eq!(
                evaluations[0].annotation.contains("Disabled"),
                !enabled,
                "{order:?}: {evaluations:?}"
            );
        }
    }
}

#[test]
fn memory_keeps_only_the_keys_and_buckets_that_other_resources_name() {
    // variant 1: a bucket's key and a pipeline's key are the ARN of KEYS[0] (reference 0).
    let pick = |kind: u8, name: usize| {
        record(&Pick {
            kind,
            name,
            account: 0,
            region: 0,
            time: 0,
            variant: 1,
            reference: 0,
        })
    };
    let mut records: Vec<_> = (0..200)
        .map(|i| {
            let id = format!("{i:08}-0000-4000-8000-000000000000");
            let (subject, _) = pick(1, 0);
            let subject = Subject {
                id: id.as_str().into(),
                ..subject
            };
            (
                subject,
                ResourceFacts::Key(Fact::Known(Box::new(good_key(&id)))),
            )
        })
        .collect();
    records.extend([pick(1, 0), pick(1, 1), pick(0, 0), pick(0, 2), pick(2, 0)]);
    let spilled_records = spill(&records, Spill::new().expect("a working file"));
    let kept: Vec<(ResourceKind, &str)> = spilled_records
        .references()
        .entries()
        .iter()
        .map(|e| (e.subject.kind, &*e.subject.id))
        .collect();
    // Both buckets name KEYS[0]; the pipeline names BUCKETS[0] and KEYS[0]. Nothing names
    // KEYS[1], BUCKETS[2] or the 200 other keys.
    assert_eq!(
        kept,
        [(ResourceKind::Key, KEY_ID), (ResourceKind::Bucket, BUCKET)]
    );
    assert_eq!(spilled_records.layout().records, 205);
}
