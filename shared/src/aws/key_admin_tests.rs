//! Request-level tests of the KMS key administration the custom resource relies on
//! (aws-smithy-mocks): `CreateKey`'s own retries, the search for keys made by attempts whose
//! answers were lost, and `ScheduleKeyDeletion` on a key already pending deletion. The lost
//! answer itself, over a real connection, is in the workspace fault matrix
//! (`tests/faults_artifact_store.rs`).

use aws_sdk_kms::operation::create_alias::CreateAliasOutput;
use aws_sdk_kms::operation::create_key::CreateKeyOutput;
use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
use aws_sdk_kms::operation::enable_key_rotation::EnableKeyRotationOutput;
use aws_sdk_kms::operation::list_keys::ListKeysOutput;
use aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionOutput;
use aws_sdk_kms::types::{KeyListEntry, KeyManagerType, KeyMetadata, KeyState};
use aws_smithy_mocks::{mock, Rule};

use crate::aws::tests::{block_on, json_error, kms_only};
use crate::live::{KeyAdmin, NewKey};

const DESCRIPTION: &str = "artifact-guard: CodePipeline artifacts in s3://b (request r-1)";

fn new_key() -> NewKey {
    NewKey {
        description: DESCRIPTION.into(),
        policy: "{}".into(),
        alias: "alias/artifact-guard/b".into(),
        rotation_period_days: None,
        tags: vec![("artifact-guard:artifact-store".into(), "true".into())],
    }
}

fn metadata(id: &str, description: &str, state: KeyState, manager: KeyManagerType) -> KeyMetadata {
    KeyMetadata::builder()
        .key_id(id)
        .arn(format!("arn:aws:kms:us-east-1:111122223333:key/{id}"))
        .description(description)
        .key_state(state)
        .key_manager(manager)
        .build()
        .expect("valid")
}

fn created(id: &'static str) -> CreateKeyOutput {
    CreateKeyOutput::builder()
        .key_metadata(metadata(
            id,
            DESCRIPTION,
            KeyState::Enabled,
            KeyManagerType::Customer,
        ))
        .build()
}

fn finish_rules() -> [Rule; 2] {
    [
        mock!(aws_sdk_kms::Client::enable_key_rotation)
            .then_output(|| EnableKeyRotationOutput::builder().build()),
        mock!(aws_sdk_kms::Client::create_alias)
            .then_output(|| CreateAliasOutput::builder().build()),
    ]
}

fn keys(ids: &[&str]) -> Vec<KeyListEntry> {
    ids.iter()
        .map(|id| KeyListEntry::builder().key_id(*id).build())
        .collect()
}

/// One describe rule per key id in the account.
fn describe_rule(id: &'static str, answer: Option<KeyMetadata>) -> Rule {
    let rule =
        mock!(aws_sdk_kms::Client::describe_key).match_requests(move |r| r.key_id() == Some(id));
    match answer {
        Some(meta) => rule.then_output(move || {
            DescribeKeyOutput::builder()
                .key_metadata(meta.clone())
                .build()
        }),
        None => rule
            .sequence()
            .http_status(400, json_error("AccessDeniedException"))
            .build(),
    }
}

#[test]
fn a_5xx_answer_is_retried_and_only_the_key_the_lost_attempt_made_is_retired() {
    let create = mock!(aws_sdk_kms::Client::create_key)
        .sequence()
        .http_status(500, json_error("KMSInternalException"))
        .output(|| created("new"))
        .build();
    let page_one = mock!(aws_sdk_kms::Client::list_keys)
        .match_requests(|r| r.marker().is_none())
        .then_output(|| {
            ListKeysOutput::builder()
                .set_keys(Some(keys(&["lost", "new", "other"])))
                .truncated(true)
                .next_marker("m2")
                .build()
        });
    let page_two = mock!(aws_sdk_kms::Client::list_keys)
        .match_requests(|r| r.marker() == Some("m2"))
        .then_output(|| {
            ListKeysOutput::builder()
                .set_keys(Some(keys(&["older", "managed", "foreign"])))
                .truncated(false)
                .build()
        });
    let describes = [
        describe_rule(
            "lost",
            Some(metadata(
                "lost",
                DESCRIPTION,
                KeyState::Enabled,
                KeyManagerType::Customer,
            )),
        ),
        describe_rule(
            "other",
            Some(metadata(
                "other",
                "another store",
                KeyState::Enabled,
                KeyManagerType::Customer,
            )),
        ),
        // Same description but already pending deletion, or AWS managed: not touched.
        describe_rule(
            "older",
            Some(metadata(
                "older",
                DESCRIPTION,
                KeyState::PendingDeletion,
                KeyManagerType::Customer,
            )),
        ),
        describe_rule(
            "managed",
            Some(metadata(
                "managed",
                DESCRIPTION,
                KeyState::Enabled,
                KeyManagerType::Aws,
            )),
        ),
        // A key the role may not describe is not one it made.
        describe_rule("foreign", None),
    ];
    let describe_new = mock!(aws_sdk_kms::Client::describe_key)
        .match_requests(|r| r.key_id() == Some("new"))
        .then_output(|| DescribeKeyOutput::builder().build());
    let retire = mock!(aws_sdk_kms::Client::schedule_key_deletion)
        .match_requests(|r| r.key_id() == Some("lost") && r.pending_window_in_days() == Some(7))
        .then_output(|| ScheduleKeyDeletionOutput::builder().build());
    let finish = finish_rules();
    let mut rules: Vec<&Rule> = vec![&create, &page_one, &page_two, &describe_new, &retire];
    rules.extend(describes.iter());
    rules.extend(finish.iter());

    let handle = block_on(kms_only(&rules).create_key(&new_key())).expect("created");

    assert_eq!(handle.id, "new");
    assert_eq!(create.num_calls(), 2);
    assert_eq!((page_one.num_calls(), page_two.num_calls()), (1, 1));
    assert_eq!(describe_new.num_calls(), 0, "the kept key is not examined");
    assert!(describes.iter().all(|d| d.num_calls() == 1));
    assert_eq!(retire.num_calls(), 1, "only the lost attempt's key");
}

#[test]
fn a_refusal_is_not_retried_and_throttling_makes_no_search() {
    let list =
        mock!(aws_sdk_kms::Client::list_keys).then_output(|| ListKeysOutput::builder().build());

    // A 4xx answer: KMS made nothing; no retry, no search.
    let refused = mock!(aws_sdk_kms::Client::create_key)
        .sequence()
        .http_status(400, json_error("LimitExceededException"))
        .build();
    let error = block_on(kms_only(&[&refused, &list]).create_key(&new_key())).expect_err("refused");
    assert!(
        error.to_string().contains("LimitExceededException"),
        "{error}"
    );
    assert_eq!(refused.num_calls(), 1);

    // Throttled twice, then made: retried, and nothing to look for.
    let throttled = mock!(aws_sdk_kms::Client::create_key)
        .sequence()
        .http_status(400, json_error("ThrottlingException"))
        .times(2)
        .output(|| created("k"))
        .build();
    let finish = finish_rules();
    let handle =
        block_on(kms_only(&[&throttled, &list, &finish[0], &finish[1]]).create_key(&new_key()))
            .expect("created after throttling");
    assert_eq!(handle.id, "k");
    assert_eq!(throttled.num_calls(), 3);
    assert_eq!(list.num_calls(), 0, "no answer was lost");
}

#[test]
fn every_answer_lost_fails_and_retires_every_key_the_attempts_made() {
    let create = mock!(aws_sdk_kms::Client::create_key)
        .sequence()
        .http_status(503, json_error("KMSInternalException"))
        .times(3)
        .build();
    let list = mock!(aws_sdk_kms::Client::list_keys).then_output(|| {
        ListKeysOutput::builder()
            .set_keys(Some(keys(&["a", "b"])))
            .build()
    });
    let describes = [
        describe_rule(
            "a",
            Some(metadata(
                "a",
                DESCRIPTION,
                KeyState::Enabled,
                KeyManagerType::Customer,
            )),
        ),
        describe_rule(
            "b",
            Some(metadata(
                "b",
                DESCRIPTION,
                KeyState::Enabled,
                KeyManagerType::Customer,
            )),
        ),
    ];
    let retire = mock!(aws_sdk_kms::Client::schedule_key_deletion)
        .then_output(|| ScheduleKeyDeletionOutput::builder().build());
    let error = block_on(
        kms_only(&[&create, &list, &describes[0], &describes[1], &retire]).create_key(&new_key()),
    )
    .expect_err("every attempt failed");
    assert!(error.to_string().contains("kms:CreateKey"), "{error}");
    assert_eq!(create.num_calls(), 3, "the client's max attempts");
    assert_eq!(retire.num_calls(), 2, "no kept key: both retired");
}

#[test]
fn scheduling_a_key_already_pending_deletion_is_done_and_any_other_refusal_is_not() {
    let refused = || {
        mock!(aws_sdk_kms::Client::schedule_key_deletion)
            .sequence()
            .http_status(400, json_error("KMSInvalidStateException"))
            .build()
    };
    let state = |state: KeyState| {
        mock!(aws_sdk_kms::Client::describe_key).then_output(move || {
            DescribeKeyOutput::builder()
                .key_metadata(metadata(
                    "k",
                    DESCRIPTION,
                    state.clone(),
                    KeyManagerType::Customer,
                ))
                .build()
        })
    };

    let (schedule, describe) = (refused(), state(KeyState::PendingDeletion));
    block_on(kms_only(&[&schedule, &describe]).schedule_key_deletion("k", 30))
        .expect("already pending: done");
    assert_eq!((schedule.num_calls(), describe.num_calls()), (1, 1));

    let (schedule, describe) = (refused(), state(KeyState::Unavailable));
    let error = block_on(kms_only(&[&schedule, &describe]).schedule_key_deletion("k", 30))
        .expect_err("a key in another state: the refusal stands");
    assert!(
        error.to_string().contains("KMSInvalidStateException"),
        "{error}"
    );
}
