//! Gathering live facts into an [`Inventory`]: for one changed resource, and for the whole
//! account (the periodic sweep and `artifact-guard scan`).
//!
//! Buckets and keys are read from AWS Config first (`BatchGetResourceConfig`, 100 per call) and
//! from S3 and KMS only when Config does not record them, which keeps a sweep near one call per
//! bucket or key per hundred. Pipelines come from CodePipeline (`GetPipeline` and
//! `ListTagsForResource`; Config's pipeline items carry no tags in the API shape).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use futures::stream::{self, StreamExt};

use super::{
    AccountReader, BucketReader, ConfigReader, ItemKey, KeyReader, KeyRecord, PipelineReader,
    ScopeCache, SourceError, TaggedResourceFinder,
};
use crate::assess::{Inventory, ScopeIndex};
use crate::facts::{
    ConfigurationItem, Fact, ItemError, KeyRef, ResourceFacts, ResourceKind, Subject,
};

/// Everything a gathering reads from: one value implementing every port (the AWS adapter, or a
/// fake in tests).
pub trait Sources:
    AccountReader + BucketReader + KeyReader + PipelineReader + ConfigReader + TaggedResourceFinder
{
}
impl<T> Sources for T where
    T: AccountReader
        + BucketReader
        + KeyReader
        + PipelineReader
        + ConfigReader
        + TaggedResourceFinder
{
}

/// What a gathering read, for the summary log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GatherStats {
    /// Pipelines read.
    pub pipelines: usize,
    /// Pipelines, buckets and keys found in AWS Config.
    pub from_config: usize,
    /// Buckets read from S3 because Config does not record them.
    pub buckets_from_s3: usize,
    /// Keys read from KMS.
    pub keys_from_kms: usize,
    /// Key policies read from KMS for keys whose other facts came from AWS Config.
    pub key_policies: usize,
    /// Accounts read (one per sweep that knows its account id).
    pub accounts: usize,
}

fn subject(kind: ResourceKind, id: &str, account_id: Option<&str>) -> Subject {
    Subject {
        kind,
        id: id.into(),
        account_id: account_id.map(Arc::from),
        region: None,
        captured_at: None,
    }
}

fn insert_key(inventory: &mut Inventory, record: KeyRecord, fallback_account: Option<&str>) {
    if let Some(alias) = &record.alias {
        inventory.insert_alias(alias, &record.id);
    }
    let account = record.account_id.as_deref().or(fallback_account);
    inventory.insert(
        subject(ResourceKind::Key, &record.id, account),
        record.facts,
    );
}

/// The facts for one configuration item (a change notification): the item itself, plus what it
/// refers to. A bucket needs only its key (from KMS, no S3 calls: the item carries the rest); a
/// pipeline needs its stores' buckets and keys. Returns the inventory and the item's subject.
pub async fn gather_for_item<S: Sources>(
    sources: &S,
    item: ConfigurationItem,
    stats: &mut GatherStats,
) -> Result<Option<(Inventory, Subject)>, ItemError> {
    let Some((subject, facts)) = item.into_facts()? else {
        return Ok(None);
    };
    if let ResourceFacts::Pipeline(Fact::Known(pipeline)) = facts {
        let inventory = gather_for_pipeline(sources, subject.clone(), *pipeline, stats).await;
        return Ok(Some((inventory, subject)));
    }
    let mut inventory = Inventory::new();
    let account = subject.account_id.as_deref().map(str::to_owned);
    let bucket_key = match &facts {
        ResourceFacts::Bucket(Fact::Known(b)) => b
            .encryption
            .known()
            .and_then(|e| e.as_ref())
            .filter(|e| e.uses_kms())
            .and_then(|e| e.key.clone()),
        _ => None,
    };
    inventory.insert(subject.clone(), facts);
    if let Some(key) = bucket_key.filter(|k| !k.is_aws_managed_s3_alias()) {
        stats.keys_from_kms += 1;
        insert_key(
            &mut inventory,
            sources.read_key(&key).await,
            account.as_deref(),
        );
    }
    if subject.kind == ResourceKind::Key {
        read_key_policies(sources, &mut inventory, 1, stats).await;
    }
    Ok(Some((inventory, subject)))
}

/// The facts a pipeline's assessment needs besides its own: its stores' buckets and keys.
pub async fn gather_for_pipeline<S: Sources>(
    sources: &S,
    subject: Subject,
    facts: crate::facts::PipelineFacts,
    stats: &mut GatherStats,
) -> Inventory {
    let mut inventory = Inventory::new();
    let account = subject.account_id.as_deref().map(str::to_owned);
    let stores = facts.stores.clone();
    inventory.insert(
        subject,
        ResourceFacts::Pipeline(Fact::Known(Box::new(facts))),
    );
    load_stores(
        sources,
        &mut inventory,
        store_buckets(&stores),
        store_keys(&stores),
        account.as_deref(),
        8,
        stats,
    )
    .await;
    inventory
}

fn store_buckets(stores: &[crate::facts::ArtifactStore]) -> Vec<String> {
    stores.iter().map(|s| s.location.to_string()).collect()
}

fn store_keys(stores: &[crate::facts::ArtifactStore]) -> Vec<KeyRef> {
    stores
        .iter()
        .filter_map(|s| s.encryption_key.as_ref().map(|k| k.key.clone()))
        .collect()
}

/// The whole account: every pipeline, their stores' buckets and keys, every bucket and key
/// tagged as an artifact store, and the account itself (when `account_id` is known: it is the
/// account's resource id). Reads run `concurrency` at a time.
pub async fn sweep<S: Sources>(
    sources: &S,
    account_id: Option<&str>,
    concurrency: usize,
) -> Result<(Inventory, GatherStats), SourceError> {
    let mut stats = GatherStats::default();
    let names = sources.list_pipelines().await?;
    let tagged = sources.tagged_stores().await?;
    let mut inventory = Inventory::new();
    read_pipelines(
        sources,
        names,
        Tags::Needed,
        account_id,
        concurrency,
        &mut inventory,
        &mut stats,
    )
    .await;

    let mut buckets: Vec<String> = tagged.buckets;
    let mut keys: Vec<KeyRef> = tagged.keys.iter().map(|k| KeyRef::parse(k)).collect();
    for entry in inventory.entries() {
        if let ResourceFacts::Pipeline(Fact::Known(p)) = &entry.facts {
            for store in &p.stores {
                buckets.push(store.location.to_string());
                keys.extend(store.encryption_key.as_ref().map(|k| k.key.clone()));
            }
        }
    }
    load_stores(
        sources,
        &mut inventory,
        buckets,
        keys,
        account_id,
        concurrency,
        &mut stats,
    )
    .await;
    // The sweep judges the keys themselves (a pipeline event judges only the pipeline).
    read_key_policies(sources, &mut inventory, concurrency, &mut stats).await;
    if let Some(account) = account_id {
        let facts = sources.read_account().await;
        stats.accounts += 1;
        inventory.insert(
            subject(ResourceKind::Account, account, Some(account)),
            ResourceFacts::Account(Fact::Known(Box::new(facts))),
        );
    }
    Ok((inventory, stats))
}

/// Whether pipelines read from AWS Config need their tags (assessment) or not (scope index).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tags {
    Needed,
    NotNeeded,
}

/// Every pipeline in `names` into the inventory: from AWS Config where it records them, else
/// with `GetPipeline` and `ListTagsForResource`.
async fn read_pipelines<S: Sources>(
    sources: &S,
    names: Vec<String>,
    tags: Tags,
    account_id: Option<&str>,
    concurrency: usize,
    inventory: &mut Inventory,
    stats: &mut GatherStats,
) {
    let from_config =
        pipelines_from_config(sources, &names, tags, concurrency, inventory, stats).await;
    let unrecorded = names
        .into_iter()
        .filter(|name| !from_config.contains(name.as_str()));
    let pipelines: Vec<(String, Fact<Box<crate::facts::PipelineFacts>>)> = stream::iter(unrecorded)
        .map(|name| async move {
            let facts = sources.read_pipeline(&name, account_id).await;
            (name, facts.boxed())
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    stats.pipelines = pipelines.len() + from_config.len();
    for (name, facts) in pipelines {
        inventory.insert(
            subject(ResourceKind::Pipeline, &name, account_id),
            ResourceFacts::Pipeline(facts),
        );
    }
}

/// Pipelines AWS Config records, read from it: definitions by `BatchGetResourceConfig` (one call
/// per 100 pipelines instead of a `GetPipeline` each) and tags by `ListTagsForResource`
/// (Config's batch answer carries none) when `tags` says so. Returns the names read; any other
/// pipeline, or one whose tags cannot be read, is left to `GetPipeline`.
async fn pipelines_from_config<S: Sources>(
    sources: &S,
    names: &[String],
    tags: Tags,
    concurrency: usize,
    inventory: &mut Inventory,
    stats: &mut GatherStats,
) -> HashSet<String> {
    let mut found = HashSet::new();
    let wanted: Vec<ItemKey> = names
        .iter()
        .map(|name| ItemKey {
            kind: ResourceKind::Pipeline,
            id: name.clone(),
        })
        .collect();
    if wanted.is_empty() {
        return found;
    }
    let items = match sources.batch_get(&wanted).await {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e, pipelines = wanted.len(), "reading pipelines with GetPipeline instead of AWS Config");
            return found;
        }
    };
    let complete: Vec<Option<ConfigurationItem>> = stream::iter(items)
        .map(|mut item| async move {
            if tags == Tags::Needed && !item.has_tags() {
                match sources.pipeline_tags(item.arn()?).await {
                    Fact::Known(tags) => item.set_tags(&tags),
                    Fact::Unknown(_) => return None,
                }
            }
            Some(item)
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    for item in complete.into_iter().flatten() {
        match item.into_facts() {
            Ok(Some((subject, facts @ ResourceFacts::Pipeline(Fact::Known(_))))) => {
                found.insert(subject.id.to_string());
                stats.from_config += 1;
                inventory.insert(subject, facts);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "configuration item cannot be read"),
        }
    }
    found
}

/// Reads buckets and keys into the inventory: AWS Config first, S3 and KMS for the rest, then
/// the keys the buckets' default encryption names.
/// What a template's resources use but do not declare (an existing bucket, another stack's
/// key), read into `inventory` as a pipeline's stores are: AWS Config first, then S3 and KMS,
/// then the keys those buckets encrypt with. Entries already in the inventory are kept.
pub async fn gather_referenced<S: Sources>(
    sources: &S,
    inventory: &mut Inventory,
    buckets: Vec<String>,
    keys: Vec<KeyRef>,
    account_id: Option<&str>,
    stats: &mut GatherStats,
) {
    load_stores(sources, inventory, buckets, keys, account_id, 8, stats).await;
}

async fn load_stores<S: Sources>(
    sources: &S,
    inventory: &mut Inventory,
    mut buckets: Vec<String>,
    keys: Vec<KeyRef>,
    account_id: Option<&str>,
    concurrency: usize,
    stats: &mut GatherStats,
) {
    buckets.sort_unstable();
    buckets.dedup();
    let mut wanted: Vec<ItemKey> = buckets
        .iter()
        .filter(|b| inventory.bucket(b).is_none())
        .map(|b| ItemKey {
            kind: ResourceKind::Bucket,
            id: b.clone(),
        })
        .collect();
    let (by_id, mut by_kms) = split_keys(keys, inventory, account_id);
    wanted.extend(by_id.iter().map(key_item));
    let from_config = read_from_config(sources, inventory, &wanted, stats).await;

    let missing_buckets: Vec<&String> = buckets
        .iter()
        .filter(|b| !from_config.contains(&(ResourceKind::Bucket, b.as_str().into())))
        .collect();
    stats.buckets_from_s3 += missing_buckets.len();
    let read: Vec<_> = stream::iter(missing_buckets)
        .map(|name| async move { (name, sources.read_bucket(name).await.boxed()) })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    for (name, facts) in read {
        inventory.insert(
            subject(ResourceKind::Bucket, name, account_id),
            ResourceFacts::Bucket(facts),
        );
    }
    by_kms.extend(by_id.into_iter().filter(|k| !found_key(&from_config, k)));

    // Second round: the keys that buckets encrypt with.
    let bucket_keys: Vec<KeyRef> = inventory
        .entries()
        .iter()
        .filter_map(|e| match &e.facts {
            ResourceFacts::Bucket(Fact::Known(b)) => b
                .encryption
                .known()
                .and_then(|e| e.as_ref())
                .and_then(|e| e.key.clone()),
            _ => None,
        })
        .collect();
    let (by_id, more_kms) = split_keys(bucket_keys, inventory, account_id);
    by_kms.extend(more_kms);
    let wanted: Vec<ItemKey> = by_id.iter().map(key_item).collect();
    let found = read_from_config(sources, inventory, &wanted, stats).await;
    by_kms.extend(by_id.into_iter().filter(|k| !found_key(&found, k)));
    let mut seen = HashSet::new();
    by_kms.retain(|k| seen.insert(k.clone()));
    stats.keys_from_kms += by_kms.len();
    let records: Vec<KeyRecord> = stream::iter(by_kms)
        .map(|key| async move { sources.read_key(&key).await })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    for record in records {
        insert_key(inventory, record, account_id);
    }
}

/// Reads the policy of every key whose facts came from AWS Config (which records none), so that
/// `key-policy-not-public` judges it rather than reporting it unknown: one `GetKeyPolicy` each.
async fn read_key_policies<S: Sources>(
    sources: &S,
    inventory: &mut Inventory,
    concurrency: usize,
    stats: &mut GatherStats,
) {
    let missing = inventory.keys_without_policy();
    stats.key_policies += missing.len();
    let read: Vec<(usize, Fact<Box<str>>)> = stream::iter(missing)
        .map(|(at, id)| async move { (at, sources.read_key_policy(&KeyRef::parse(&id)).await) })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    for (at, policy) in read {
        inventory.set_key_policy(at, policy);
    }
}

fn key_item(key: &KeyRef) -> ItemKey {
    ItemKey {
        kind: ResourceKind::Key,
        id: key.key_id().unwrap_or(key.as_str()).to_owned(),
    }
}

fn found_key(found: &HashSet<(ResourceKind, Box<str>)>, key: &KeyRef) -> bool {
    key.key_id()
        .is_some_and(|id| found.contains(&(ResourceKind::Key, id.into())))
}

/// Keys this account's Config can be asked about (by id), and references only KMS can resolve:
/// aliases, and keys of other accounts (described by ARN). Keys already in the inventory and
/// `alias/aws/s3` need no reading.
fn split_keys(
    keys: Vec<KeyRef>,
    inventory: &Inventory,
    account_id: Option<&str>,
) -> (Vec<KeyRef>, Vec<KeyRef>) {
    let mut seen = HashSet::new();
    let mut by_id = Vec::new();
    let mut by_kms = Vec::new();
    for key in keys {
        if key.is_aws_managed_s3_alias() || inventory.resolve_key_id(&key).is_some() {
            continue;
        }
        let own = match (key.account(), account_id) {
            (Some(theirs), Some(ours)) => theirs == ours,
            _ => true,
        };
        match key.key_id() {
            Some(id) if own => {
                if seen.insert(id.to_owned()) {
                    by_id.push(key);
                }
            }
            _ => by_kms.push(key),
        }
    }
    (by_id, by_kms)
}

/// Asks Config for `wanted`, inserts what it records, and returns the (kind, id) pairs found.
/// A failed call is not fatal: the caller reads the same resources from S3 and KMS instead.
async fn read_from_config<S: Sources>(
    sources: &S,
    inventory: &mut Inventory,
    wanted: &[ItemKey],
    stats: &mut GatherStats,
) -> HashSet<(ResourceKind, Box<str>)> {
    let mut found = HashSet::new();
    if wanted.is_empty() {
        return found;
    }
    let items = match sources.batch_get(wanted).await {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e, resources = wanted.len(), "reading from S3 and KMS instead of AWS Config");
            return found;
        }
    };
    for item in items {
        match item.into_facts() {
            Ok(Some((subject, facts))) => {
                found.insert((subject.kind, Box::from(&*subject.id)));
                stats.from_config += 1;
                inventory.insert(subject, facts);
            }
            Ok(None) => {}
            // An item Config returned without an identity is read again from the service API.
            Err(e) => tracing::warn!(error = %e, "configuration item cannot be read"),
        }
    }
    found
}

/// The scope index, from the cache when fresh, else built from every pipeline's stores and the
/// default-encryption keys of those buckets (via Config), and cached.
pub async fn scope_index<S: Sources>(
    sources: &S,
    cache: &ScopeCache,
    account_id: Option<&str>,
    concurrency: usize,
) -> Result<ScopeIndex, SourceError> {
    let now = Instant::now();
    if let Some(index) = cache.get(now) {
        return Ok(index);
    }
    let (inventory, _) = sweep_pipelines_only(sources, account_id, concurrency).await?;
    let index = ScopeIndex::from_inventory(&inventory);
    cache.put(now, index.clone());
    Ok(index)
}

/// Every pipeline and its stores' bucket items: what the scope index needs (no tags, no keys).
async fn sweep_pipelines_only<S: Sources>(
    sources: &S,
    account_id: Option<&str>,
    concurrency: usize,
) -> Result<(Inventory, GatherStats), SourceError> {
    let mut stats = GatherStats::default();
    let names = sources.list_pipelines().await?;
    let mut inventory = Inventory::new();
    read_pipelines(
        sources,
        names,
        Tags::NotNeeded,
        account_id,
        concurrency,
        &mut inventory,
        &mut stats,
    )
    .await;
    let buckets: Vec<ItemKey> = inventory
        .entries()
        .iter()
        .filter_map(|e| match &e.facts {
            ResourceFacts::Pipeline(Fact::Known(p)) => Some(&p.stores),
            _ => None,
        })
        .flatten()
        .map(|s| ItemKey {
            kind: ResourceKind::Bucket,
            id: s.location.to_string(),
        })
        .collect();
    read_from_config(sources, &mut inventory, &buckets, &mut stats).await;
    Ok((inventory, stats))
}
