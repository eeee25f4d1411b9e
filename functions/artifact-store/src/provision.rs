//! Create, update and delete steps for an encrypted artifact store.
//!
//! Order matters: every check that can refuse a request (bucket name taken, unusable key) runs
//! before anything is created; what this invocation creates is written to the [`Journal`] so
//! that a failure (or a timeout or panic caught by the handler) can remove it before answering.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use artifact_guard::facts::{Fact, KeyRef, ResourceFacts, ResourceKind, Subject};
use artifact_guard::live::{
    BucketAdmin, BucketReader, BucketSettings, BucketState, KeyAdmin, KeyReader, NewKey,
};
use artifact_guard::{Assessor, Inventory, RuleParameters, Scope, ScopeIndex, Status};

use crate::policy;
use crate::request::{Action, Request};
use crate::response::is_failure_marker;
use crate::spec::{derived_bucket_name, KeyChoice, StoreSpec};

/// Everything the steps read and write.
pub trait Store: BucketAdmin + KeyAdmin + BucketReader + KeyReader {}
impl<T: BucketAdmin + KeyAdmin + BucketReader + KeyReader> Store for T {}

/// What the current invocation is doing and has created, readable after its future is dropped.
#[derive(Debug, Default)]
pub struct Journal {
    pub step: Cell<&'static str>,
    pub created_bucket: RefCell<Option<String>>,
    pub created_key: RefCell<Option<String>>,
}

impl Journal {
    fn at(&self, step: &'static str) {
        self.step.set(step);
    }
}

/// A successful request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub physical_id: String,
    pub reason: String,
    pub data: BTreeMap<String, String>,
}

pub const TAG_STORE: &str = "artifact-guard:artifact-store";
pub const TAG_STACK: &str = "artifact-guard:stack-id";
pub const TAG_LOGICAL: &str = "artifact-guard:logical-id";

/// The alias of the key artifact-guard creates for `bucket`.
pub fn key_alias(bucket: &str) -> String {
    format!("alias/artifact-guard/{}", bucket.replace('.', "-"))
}

pub async fn run<S: Store>(
    store: &S,
    request: &Request,
    journal: &Journal,
) -> Result<Done, String> {
    let spec = match (&request.action, &request.spec) {
        (Action::Delete { physical_id }, spec) => {
            return delete(store, request, physical_id, spec.as_ref().ok(), journal).await
        }
        (_, Err(e)) => return Err(e.to_string()),
        (_, Ok(spec)) => spec,
    };
    let wanted = spec.bucket_name.clone().unwrap_or_else(|| {
        derived_bucket_name(
            &request.envelope.stack_id,
            &request.envelope.logical_resource_id,
        )
    });
    match &request.action {
        Action::Update { physical_id, .. } if *physical_id == wanted => {
            provision(store, request, spec, &wanted, true, journal).await
        }
        // Create, or an update to a new name: a new store; CloudFormation deletes the old one.
        _ => provision(store, request, spec, &wanted, false, journal).await,
    }
}

/// Creates the store, or converges an existing one of this resource, and assesses it.
async fn provision<S: Store>(
    store: &S,
    request: &Request,
    spec: &StoreSpec,
    name: &str,
    converging: bool,
    journal: &Journal,
) -> Result<Done, String> {
    let (account, region) = request.account_and_region();
    let partition = artifact_guard::aws::partition_for_region(&region);
    journal.at("checking the bucket name");
    let state = store.bucket_state(name).await.map_err(|e| e.to_string())?;
    let exists = match &state {
        BucketState::Absent => false,
        BucketState::Exists { tags } if is_ours(tags, request) => true,
        BucketState::Exists { .. } => {
            return Err(format!(
                "bucket name {name} is taken by a bucket this resource did not create (another stack); choose another BucketName"
            ))
        }
        // S3 answers HeadBucket with a bare 403 for both cases; name them both.
        BucketState::Foreign => {
            return Err(format!(
                "s3:HeadBucket on {name} answered 403 Forbidden: the name belongs to another account, or the function's role lacks s3:ListBucket on it; choose another BucketName or fix the role"
            ))
        }
    };

    journal.at("checking the KMS key");
    let key = resolve_key(store, spec, name, request, journal).await?;

    if !exists {
        journal.at("creating the bucket");
        store
            .create_bucket(name, &region)
            .await
            .map_err(|e| e.to_string())?;
        *journal.created_bucket.borrow_mut() = Some(name.to_owned());
    }
    journal.at("configuring the bucket");
    let mut tags = vec![
        (TAG_STORE.to_owned(), "true".to_owned()),
        (TAG_STACK.to_owned(), request.envelope.stack_id.clone()),
        (
            TAG_LOGICAL.to_owned(),
            request.envelope.logical_resource_id.clone(),
        ),
    ];
    tags.extend(spec.tags.iter().cloned());
    let settings = BucketSettings {
        kms_key_arn: key.as_ref().map(|k| k.arn.clone()),
        versioning: spec.versioning,
        tags,
    };
    store
        .configure_bucket(name, &settings)
        .await
        .map_err(|e| e.to_string())?;

    journal.at("writing the bucket policy");
    let existing = store.bucket_policy(name).await.map_err(|e| e.to_string())?;
    let merged = policy::merge(
        existing.as_deref(),
        policy::own_statements(name, partition, spec),
    )
    .map_err(|e| format!("bucket {name}: {e}; fix or remove it and retry"))?;
    store
        .put_bucket_policy(name, &merged)
        .await
        .map_err(|e| e.to_string())?;

    journal.at("assessing the store");
    let score = assess(
        store,
        name,
        key.as_ref().map(|k| k.reference.as_str()),
        &account,
    )
    .await?;
    let mut data = BTreeMap::new();
    data.insert("BucketName".into(), name.to_owned());
    data.insert("BucketArn".into(), format!("arn:{partition}:s3:::{name}"));
    let (key_arn, key_id) = match &key {
        Some(k) => (k.arn.clone(), k.id.clone()),
        None => (
            format!("arn:{partition}:kms:{region}:{account}:alias/aws/s3"),
            "alias/aws/s3".to_owned(),
        ),
    };
    data.insert("KmsKeyArn".into(), key_arn);
    data.insert("KmsKeyId".into(), key_id);
    data.insert("Score".into(), score.to_string());
    let verb = if converging { "converged" } else { "created" };
    Ok(Done {
        physical_id: name.to_owned(),
        reason: format!("artifact store {name} {verb}; score {score}"),
        data,
    })
}

fn is_ours(tags: &[(String, String)], request: &Request) -> bool {
    let has = |k: &str, v: &str| tags.iter().any(|(tk, tv)| tk == k && tv == v);
    has(TAG_STACK, &request.envelope.stack_id)
        && has(TAG_LOGICAL, &request.envelope.logical_resource_id)
}

/// The key the bucket will use.
struct ChosenKey {
    id: String,
    arn: String,
    /// What to read the key back by.
    reference: String,
}

async fn resolve_key<S: Store>(
    store: &S,
    spec: &StoreSpec,
    bucket: &str,
    request: &Request,
    journal: &Journal,
) -> Result<Option<ChosenKey>, String> {
    let (account, region) = request.account_and_region();
    let (account, region) = (account.as_str(), region.as_str());
    let partition = artifact_guard::aws::partition_for_region(region);
    match &spec.key {
        KeyChoice::AwsManaged => Ok(None),
        KeyChoice::Existing(given) => {
            let key = KeyRef::parse(given);
            let record = store.read_key(&key).await;
            let facts = match record.facts {
                ResourceFacts::Key(Fact::Known(k)) => k,
                ResourceFacts::Key(Fact::Unknown(why)) => {
                    return Err(format!("KmsKeyArn {given}: the key cannot be read: {why}"))
                }
                _ => return Err(format!("KmsKeyArn {given}: the key does not exist")),
            };
            if facts.symmetric() != Fact::Known(true) {
                return Err(format!(
                    "KmsKeyArn {given}: key spec {} with usage {}; CodePipeline only supports symmetric KMS keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)",
                    facts.spec.known().map_or("unknown", |s| s),
                    facts.usage.known().map_or("unknown", |s| s)
                ));
            }
            if facts.state.known().map(|s| &**s) != Some("Enabled") {
                return Err(format!(
                    "KmsKeyArn {given}: the key is {}; use an enabled key (cancel its deletion and enable it, or choose another)",
                    facts.state.known().map_or("in an unknown state", |s| s)
                ));
            }
            let arn = if given.starts_with("arn:") && key.key_id().is_some() {
                given.clone()
            } else {
                format!(
                    "arn:{partition}:kms:{region}:{}:key/{}",
                    record.account_id.as_deref().unwrap_or(account),
                    record.id
                )
            };
            Ok(Some(ChosenKey {
                id: record.id.to_string(),
                reference: arn.clone(),
                arn,
            }))
        }
        KeyChoice::Create {
            rotation_period_days,
        } => {
            let alias = key_alias(bucket);
            let key_policy = policy::key_policy(partition, account, spec);
            let handle = match store
                .key_by_alias(&alias)
                .await
                .map_err(|e| e.to_string())?
            {
                // An earlier attempt (or the previous update) made it: bring its policy up to date.
                Some(handle) => {
                    store
                        .put_key_policy(&handle.id, &key_policy)
                        .await
                        .map_err(|e| e.to_string())?;
                    handle
                }
                None => {
                    journal.at("creating the KMS key");
                    let handle = store
                        .create_key(&NewKey {
                            // The request id makes it unique: a key made by a CreateKey
                            // attempt whose answer was lost is found by its description.
                            description: format!(
                                "artifact-guard: CodePipeline artifacts in s3://{bucket} (CloudFormation request {})",
                                request.envelope.request_id
                            ),
                            policy: key_policy,
                            alias,
                            rotation_period_days: *rotation_period_days,
                            tags: vec![(TAG_STORE.into(), "true".into())],
                        })
                        .await
                        .map_err(|e| e.to_string())?;
                    *journal.created_key.borrow_mut() = Some(handle.id.clone());
                    handle
                }
            };
            Ok(Some(ChosenKey {
                reference: handle.arn.clone(),
                id: handle.id,
                arn: handle.arn,
            }))
        }
    }
}

/// Reads the store back and assesses it: every required control must pass.
async fn assess<S: Store>(
    store: &S,
    bucket: &str,
    key: Option<&str>,
    account: &str,
) -> Result<u8, String> {
    let subject = |kind, id: &str| Subject {
        kind,
        id: id.into(),
        account_id: Some(account.into()),
        region: None,
        captured_at: None,
    };
    let mut inventory = Inventory::new();
    let bucket_subject = subject(ResourceKind::Bucket, bucket);
    inventory.insert(
        bucket_subject.clone(),
        ResourceFacts::Bucket(store.read_bucket(bucket).await.boxed()),
    );
    if let Some(key) = key {
        let record = store.read_key(&KeyRef::parse(key)).await;
        inventory.insert(subject(ResourceKind::Key, &record.id), record.facts);
    }
    let params = RuleParameters {
        scope: Scope::All,
        ..RuleParameters::default()
    };
    let scope = ScopeIndex::default();
    let entry = inventory
        .entry(ResourceKind::Bucket, bucket)
        .ok_or("the bucket was not read back")?;
    let evaluation =
        Assessor::new(&params, &inventory, &scope).assess(&bucket_subject, &entry.facts);
    let failing: Vec<String> = evaluation
        .findings
        .iter()
        .filter(|f| f.required && f.status != Status::Pass && f.status != Status::NotApplicable)
        .map(|f| format!("{} {}: {}", f.control, f.status.as_str(), f.detail))
        .collect();
    if !failing.is_empty() {
        return Err(format!(
            "the provisioned store does not pass its required controls: {}",
            failing.join("; ")
        ));
    }
    Ok(evaluation.score.unwrap_or(0))
}

/// What a Delete does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletePlan {
    /// Not this resource's bucket (or already gone): touch nothing.
    Ignore,
    /// `RetainOnDelete`: keep bucket and key.
    Retain,
    /// Delete the bucket, emptying it first when asked to.
    Delete { empty_first: bool },
    /// Not empty and `EmptyOnDelete` is false: refuse, and say how to proceed.
    Refuse,
}

/// The delete decision table.
pub fn delete_plan(ours: bool, retain: bool, empty_on_delete: bool, is_empty: bool) -> DeletePlan {
    match (ours, retain, empty_on_delete, is_empty) {
        (false, ..) => DeletePlan::Ignore,
        (true, true, ..) => DeletePlan::Retain,
        (true, false, _, true) => DeletePlan::Delete { empty_first: false },
        (true, false, true, false) => DeletePlan::Delete { empty_first: true },
        (true, false, false, false) => DeletePlan::Refuse,
    }
}

async fn delete<S: Store>(
    store: &S,
    request: &Request,
    physical_id: &str,
    spec: Option<&StoreSpec>,
    journal: &Journal,
) -> Result<Done, String> {
    let done = |reason: String| {
        Ok(Done {
            physical_id: physical_id.to_owned(),
            reason,
            data: BTreeMap::new(),
        })
    };
    if is_failure_marker(physical_id) {
        return done("nothing to delete: the create failed".into());
    }
    // Properties that no longer parse must not delete anything: keep the store.
    let (retain, empty_on_delete, pending) = spec.map_or((true, false, 30), |s| {
        (
            s.retain_on_delete,
            s.empty_on_delete,
            s.key_pending_window_days,
        )
    });
    journal.at("checking the bucket");
    let ours = match store
        .bucket_state(physical_id)
        .await
        .map_err(|e| e.to_string())?
    {
        BucketState::Absent => {
            let note = retire_key_of_deleted_bucket(store, physical_id, spec, journal).await?;
            return done(format!("bucket {physical_id} does not exist{note}"));
        }
        BucketState::Exists { tags } => is_ours(&tags, request),
        // S3's bare 403 does not say whose the bucket is. Far more often it is this store with
        // a role that lost s3:ListBucket than a name another account took since: answering
        // SUCCESS would leave the store behind unseen.
        BucketState::Foreign if !retain => {
            return Err(format!(
                "s3:HeadBucket on {physical_id} answered 403 Forbidden: the function's role lacks s3:ListBucket on it, or the name now belongs to another account; fix the role and delete again, or delete the stack again retaining this resource"
            ))
        }
        BucketState::Foreign => false,
    };
    let is_empty = if ours && !retain {
        store
            .is_empty(physical_id)
            .await
            .map_err(|e| e.to_string())?
    } else {
        false
    };
    match delete_plan(ours, retain, empty_on_delete, is_empty) {
        DeletePlan::Ignore => done(format!("bucket {physical_id} was not created by this resource; left untouched")),
        DeletePlan::Retain => done(format!("bucket {physical_id} and its key retained (RetainOnDelete)")),
        DeletePlan::Refuse => Err(format!(
            "bucket {physical_id} is not empty; set EmptyOnDelete to \"true\" to delete its objects, or RetainOnDelete to \"true\" to keep it, then delete again"
        )),
        DeletePlan::Delete { empty_first } => {
            let mut emptied = 0;
            if empty_first {
                journal.at("emptying the bucket");
                emptied = store.empty_bucket(physical_id).await.map_err(|e| e.to_string())?;
            }
            journal.at("deleting the bucket");
            store.delete_bucket(physical_id).await.map_err(|e| e.to_string())?;
            let key_note = retire_key(store, physical_id, pending, journal).await?;
            done(format!("bucket {physical_id} deleted ({emptied} object versions removed){key_note}"))
        }
    }
}

/// A delete that failed after its bucket was gone (say, at `ScheduleKeyDeletion`) is sent
/// again by CloudFormation and finds no bucket: the key this resource created for it is retired
/// now, when the properties mark the store for deletion, or it would stay enabled for good.
async fn retire_key_of_deleted_bucket<S: Store>(
    store: &S,
    bucket: &str,
    spec: Option<&StoreSpec>,
    journal: &Journal,
) -> Result<String, String> {
    match spec.filter(|s| !s.retain_on_delete) {
        Some(spec) => retire_key(store, bucket, spec.key_pending_window_days, journal).await,
        None => Ok(String::new()),
    }
}

/// Schedules the key this resource created for `bucket` (found by its alias) for deletion after
/// `pending` days; returns a note for the response, empty when there is no such key.
async fn retire_key<S: Store>(
    store: &S,
    bucket: &str,
    pending: i32,
    journal: &Journal,
) -> Result<String, String> {
    journal.at("scheduling the key's deletion");
    let Some(key) = store
        .key_by_alias(&key_alias(bucket))
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(String::new());
    };
    store
        .schedule_key_deletion(&key.id, pending)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "; key {} scheduled for deletion in {pending} days",
        key.id
    ))
}

/// Removes what a failed create made: the (new, empty) bucket, and a new key scheduled for
/// deletion with the shortest waiting period. Returns what could not be removed.
pub async fn clean_up<S: Store>(store: &S, journal: &Journal) -> Result<(), String> {
    let mut problems = Vec::new();
    let bucket = journal.created_bucket.borrow_mut().take();
    let key = journal.created_key.borrow_mut().take();
    if let Some(bucket) = bucket {
        if let Err(e) = store.delete_bucket(&bucket).await {
            problems.push(format!("bucket {bucket} was left behind: {e}"));
        }
    }
    if let Some(key) = key {
        if let Err(e) = store.schedule_key_deletion(&key, 7).await {
            problems.push(format!("key {key} was left behind: {e}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::{delete_plan, DeletePlan};

    #[test]
    fn the_delete_decision_table() {
        use DeletePlan::*;
        let table = [
            // ours, retain, empty_on_delete, is_empty
            ((false, false, true, true), Ignore),
            ((false, true, false, false), Ignore),
            ((true, true, true, true), Retain),
            ((true, true, false, false), Retain),
            ((true, false, false, true), Delete { empty_first: false }),
            ((true, false, true, true), Delete { empty_first: false }),
            ((true, false, true, false), Delete { empty_first: true }),
            ((true, false, false, false), Refuse),
        ];
        for ((ours, retain, empty, is_empty), expected) in table {
            assert_eq!(
                delete_plan(ours, retain, empty, is_empty),
                expected,
                "{ours} {retain} {empty} {is_empty}"
            );
        }
    }
}
