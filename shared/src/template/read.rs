//! From a template's resources to facts: each bucket with its bucket policy, each key with its
//! aliases, each pipeline, and each `Custom::EncryptedArtifactStore` as the bucket and key its
//! properties make it provision. A property the template does not determine makes the facts
//! that depend on it UNKNOWN, named by its path (`Resources.Store.Properties.KmsKeyArn`).

use std::sync::Arc;

use serde_json::{json, Map, Value as Json};

use super::resolve::{Resolved, Resolver, Unknown};
use super::resources::{key_id, store_key_id, Declared, Resources};
use crate::facts::{
    pipeline_document, scan, tags_mark_artifact_store, BucketFacts, DefaultEncryption, Fact,
    Inventory, KeyFacts, KeyManager, KeyRef, PipelineFacts, PublicAccessBlock, ResourceFacts,
    ResourceKind, Subject, Versioning,
};
use crate::store::policy::{key_policy, merge, own_statements};
use crate::store::spec::{KeyChoice, StoreSpec};

/// A resource of the template that is judged, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    /// The resource kind and the id it has in the inventory.
    pub kind: ResourceKind,
    /// Its id in the inventory (a name or placeholder).
    pub id: Arc<str>,
    /// Its logical id.
    pub logical_id: Box<str>,
    /// Its `Type` in the template.
    pub resource_type: Box<str>,
    /// The line of its logical id.
    pub line: u32,
}

/// What the reading produces.
pub(crate) struct Read {
    pub inventory: Inventory,
    pub judged: Vec<Judged>,
    pub buckets_used: Vec<Box<str>>,
    pub keys_used: Vec<KeyRef>,
}

/// Tags as (key, value).
type Tags = Vec<(Box<str>, Box<str>)>;

/// Text standing for a value the template does not determine, where a string must be: it
/// reads as a reference (never a plaintext secret, URL or address), and the unknown is
/// reported on its own.
const UNRESOLVED: &str = "${unresolved}";

struct Reader<'a, 't> {
    r: &'a Resolver<'t>,
    resources: &'a Resources<'t>,
    account: Arc<str>,
    region: Arc<str>,
    out: Read,
    placeholders: usize,
}

pub(crate) fn read(r: &Resolver<'_>, resources: &Resources<'_>, order: &[(&str, u32)]) -> Read {
    let mut reader = Reader {
        r,
        resources,
        account: r.pseudo.account.as_str().into(),
        region: r.pseudo.region.as_str().into(),
        out: Read {
            inventory: Inventory::new(),
            judged: Vec::new(),
            buckets_used: Vec::new(),
            keys_used: Vec::new(),
        },
        placeholders: 0,
    };
    // Aliases first: a bucket or pipeline may name its key by alias.
    for &(id, _) in order {
        let Some(d) = resources.declared.get(id) else {
            continue;
        };
        if d.type_name == "AWS::KMS::Alias" && reader.provisioned(d) {
            reader.alias(d);
        }
    }
    for &(id, line) in order {
        let Some(d) = resources.declared.get(id).copied() else {
            continue;
        };
        if !reader.provisioned(&d) {
            continue;
        }
        match d.type_name {
            "AWS::S3::Bucket" => reader.bucket(id, line, &d),
            "AWS::KMS::Key" => reader.key(id, line, &d),
            "AWS::CodePipeline::Pipeline" => reader.pipeline(id, line, &d),
            "Custom::EncryptedArtifactStore" => reader.store(id, line, &d),
            _ => {}
        }
    }
    reader.out
}

/// `Resources.<id>.Properties.<path>`.
fn at(id: &str, path: &str) -> String {
    format!("Resources.{id}.Properties.{path}")
}

fn unknown_at(path: &str, u: &Unknown) -> Box<str> {
    format!("{path}: {}", u.reason).into()
}

impl Reader<'_, '_> {
    /// False when the resource's `Condition` is false (it is not provisioned); a condition the
    /// template does not decide keeps it (judged as if provisioned).
    fn provisioned(&self, d: &Declared<'_>) -> bool {
        match d.node.get("Condition").and_then(|c| c.as_scalar()) {
            None => true,
            Some(name) => self.r.condition(name).unwrap_or(true),
        }
    }

    fn property(&self, d: &Declared<'_>, name: &str) -> Option<Resolved> {
        d.property(name)
            .map(|n| self.r.resolve(n))
            .filter(|v| !matches!(v, Resolved::NoValue | Resolved::Null))
    }

    fn subject(&self, kind: ResourceKind, id: &str) -> Subject {
        Subject {
            kind,
            id: id.into(),
            account_id: Some(self.account.clone()),
            region: Some(self.region.clone()),
            captured_at: None,
        }
    }

    fn judge(&mut self, kind: ResourceKind, id: &str, logical: &str, d: &Declared<'_>, line: u32) {
        self.out.judged.push(Judged {
            kind,
            id: id.into(),
            logical_id: logical.into(),
            resource_type: d.type_name.into(),
            line,
        });
    }

    fn alias(&mut self, d: &Declared<'_>) {
        if let (Some(Resolved::Text(name)), Some(Resolved::Text(target))) = (
            self.property(d, "AliasName"),
            self.property(d, "TargetKeyId"),
        ) {
            let target = KeyRef::parse(&target);
            if let Some(id) = target.key_id() {
                self.out.inventory.insert_alias(&name, id);
            }
        }
    }

    /// A text property: `Ok(None)` when absent, `Err` naming the path when not determined.
    fn text(&self, id: &str, d: &Declared<'_>, name: &str) -> Result<Option<Box<str>>, Box<str>> {
        match self.property(d, name) {
            None => Ok(None),
            Some(Resolved::Text(t)) => Ok(Some(t)),
            Some(Resolved::Unknown(u)) => Err(unknown_at(&at(id, name), &u)),
            Some(_) => Err(format!("{}: is not a string", at(id, name)).into()),
        }
    }

    fn bucket(&mut self, id: &str, line: u32, d: &Declared<'_>) {
        let name = match self.resources_reference(id) {
            Some(name) => name,
            None => return,
        };
        let arn = format!("arn:{}:s3:::{name}", self.r.pseudo.partition);
        let encryption = self.bucket_encryption(id, d);
        if let Fact::Known(Some(DefaultEncryption { key: Some(key), .. })) = &encryption {
            self.out.keys_used.push(key.clone());
        }
        let facts = BucketFacts {
            name: name.as_str().into(),
            encryption,
            policy: self.bucket_policy(&name, &arn),
            versioning: match self.property(d, "VersioningConfiguration") {
                None => Fact::Known(Versioning::Off),
                Some(v) => match v.get("Status") {
                    Some(Resolved::Text(s)) if &**s == "Enabled" => {
                        Fact::Known(Versioning::Enabled)
                    }
                    Some(Resolved::Text(s)) if &**s == "Suspended" => {
                        Fact::Known(Versioning::Suspended)
                    }
                    Some(Resolved::Unknown(u)) => {
                        Fact::Unknown(unknown_at(&at(id, "VersioningConfiguration.Status"), u))
                    }
                    _ => Fact::Known(Versioning::Off),
                },
            },
            public_access_block: self.public_access_block(id, d),
            tagged_artifact_store: self
                .tags(d)
                .is_ok_and(|tags| tags_mark_artifact_store(tags.iter().map(|(k, v)| (&**k, &**v)))),
        };
        self.out.inventory.insert(
            self.subject(ResourceKind::Bucket, &name),
            ResourceFacts::Bucket(Fact::Known(Box::new(facts))),
        );
        self.judge(ResourceKind::Bucket, &name, id, d, line);
    }

    fn resources_reference(&self, id: &str) -> Option<String> {
        use super::resolve::ResourceValues;
        self.resources
            .reference(self.r, id)
            .text()
            .map(str::to_owned)
    }

    fn bucket_encryption(&self, id: &str, d: &Declared<'_>) -> Fact<Option<DefaultEncryption>> {
        let path = "BucketEncryption.ServerSideEncryptionConfiguration";
        let Some(config) = self.property(d, "BucketEncryption") else {
            // Since January 2023 S3 encrypts every new bucket with SSE-S3 by default.
            return Fact::Known(Some(DefaultEncryption {
                algorithm: "AES256".into(),
                key: None,
            }));
        };
        let rules = match config.get("ServerSideEncryptionConfiguration") {
            Some(Resolved::List(rules)) => rules,
            Some(Resolved::Unknown(u)) => return Fact::Unknown(unknown_at(&at(id, path), u)),
            _ => return Fact::unknown(format!("{}: is not a list of rules", at(id, path))),
        };
        let Some(rule) = rules.first() else {
            return Fact::Known(None);
        };
        let by_default = rule.get("ServerSideEncryptionByDefault");
        let field = |name: &str| by_default.and_then(|b| b.get(name));
        let algorithm = match field("SSEAlgorithm") {
            Some(Resolved::Text(a)) => a.clone(),
            Some(Resolved::Unknown(u)) => {
                return Fact::Unknown(unknown_at(
                    &at(
                        id,
                        &format!("{path}[0].ServerSideEncryptionByDefault.SSEAlgorithm"),
                    ),
                    u,
                ))
            }
            _ => return Fact::Known(None),
        };
        let key = match field("KMSMasterKeyID") {
            Some(Resolved::Text(k)) => Some(KeyRef::parse(k)),
            Some(Resolved::Unknown(u)) => {
                return Fact::Unknown(unknown_at(
                    &at(
                        id,
                        &format!("{path}[0].ServerSideEncryptionByDefault.KMSMasterKeyID"),
                    ),
                    u,
                ))
            }
            _ => None,
        };
        Fact::Known(Some(DefaultEncryption { algorithm, key }))
    }

    /// The bucket policy of the template's `AWS::S3::BucketPolicy` for this bucket; none when
    /// the template declares none (the bucket is created without one).
    fn bucket_policy(&self, name: &str, arn: &str) -> Fact<crate::policy::PolicyAnswers> {
        let mut policies: Vec<(&str, &Declared<'_>)> = self
            .resources
            .declared
            .iter()
            .filter(|(_, d)| d.type_name == "AWS::S3::BucketPolicy" && self.provisioned(d))
            .filter(|(_, d)| matches!(self.property(d, "Bucket"), Some(Resolved::Text(b)) if &*b == name))
            .map(|(id, d)| (*id, d))
            .collect();
        policies.sort_unstable_by_key(|(id, _)| *id);
        let (policy_id, d) = match policies.as_slice() {
            [] => return BucketFacts::policy_from_text(None, arn),
            [one] => *one,
            [first, second, ..] => {
                return Fact::unknown(format!(
                    "Resources.{} and Resources.{} are both this bucket's AWS::S3::BucketPolicy: which one stays depends on the order CloudFormation applies them; keep one",
                    first.0, second.0
                ))
            }
        };
        match self.property(d, "PolicyDocument") {
            Some(Resolved::Text(text)) => BucketFacts::policy_from_text(Some(&text), arn),
            Some(document) => match document.first_unknown() {
                Some((path, u)) => Fact::Unknown(unknown_at(
                    &at(policy_id, &format!("PolicyDocument{path}")),
                    u,
                )),
                None => BucketFacts::policy_from_text(
                    Some(&document.to_json(&|_| Json::Null).to_string()),
                    arn,
                ),
            },
            None => Fact::unknown(format!("{}: is missing", at(policy_id, "PolicyDocument"))),
        }
    }

    fn public_access_block(&self, id: &str, d: &Declared<'_>) -> Fact<PublicAccessBlock> {
        let Some(config) = self.property(d, "PublicAccessBlockConfiguration") else {
            // No configuration: S3's default for a new bucket.
            return Fact::Known(PublicAccessBlock::ALL_ON);
        };
        let mut flags = [false; 4];
        for (i, name) in [
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets",
        ]
        .into_iter()
        .enumerate()
        {
            match config.get(name) {
                Some(Resolved::Text(t)) => flags[i] = t.eq_ignore_ascii_case("true"),
                Some(Resolved::Unknown(u)) => {
                    return Fact::Unknown(unknown_at(
                        &at(id, &format!("PublicAccessBlockConfiguration.{name}")),
                        u,
                    ))
                }
                _ => {}
            }
        }
        Fact::Known(PublicAccessBlock {
            block_public_acls: flags[0],
            ignore_public_acls: flags[1],
            block_public_policy: flags[2],
            restrict_public_buckets: flags[3],
        })
    }

    /// `Tags` as (key, value); `Err` with the path when one is not determined.
    fn tags(&self, d: &Declared<'_>) -> Result<Tags, (String, Unknown)> {
        let mut out = Vec::new();
        match self.property(d, "Tags") {
            None => {}
            Some(Resolved::List(tags)) => {
                for (i, tag) in tags.iter().enumerate() {
                    match (tag.get("Key"), tag.get("Value")) {
                        (Some(Resolved::Text(k)), Some(Resolved::Text(v))) => {
                            out.push((k.clone(), v.clone()))
                        }
                        _ => {
                            if let Some((path, u)) = tag.first_unknown() {
                                return Err((format!("Tags[{i}]{path}"), u.clone()));
                            }
                        }
                    }
                }
            }
            // Some types (a pipeline's, in SAM) write tags as a mapping.
            Some(Resolved::Map(tags)) => {
                for (k, v) in tags {
                    match v {
                        Resolved::Text(v) => out.push((k.clone(), v.clone())),
                        Resolved::Unknown(u) => return Err((format!("Tags.{k}"), u.clone())),
                        _ => {}
                    }
                }
            }
            Some(Resolved::Unknown(u)) => return Err(("Tags".into(), u)),
            Some(_) => {}
        }
        Ok(out)
    }

    fn key(&mut self, id: &str, line: u32, d: &Declared<'_>) {
        let word = |name: &str, default: &'static str| match self.text(id, d, name) {
            Ok(Some(t)) => Fact::Known(crate::facts::kms_word(&t)),
            Ok(None) => Fact::Known(std::borrow::Cow::Borrowed(default)),
            Err(why) => Fact::Unknown(why),
        };
        let flag = |name: &str, default: bool| match self.text(id, d, name) {
            Ok(Some(t)) => Fact::Known(t.eq_ignore_ascii_case("true")),
            Ok(None) => Fact::Known(default),
            Err(why) => Fact::Unknown(why),
        };
        let state = match flag("Enabled", true) {
            Fact::Known(true) => Fact::Known(std::borrow::Cow::Borrowed("Enabled")),
            Fact::Known(false) => Fact::Known(std::borrow::Cow::Borrowed("Disabled")),
            Fact::Unknown(why) => Fact::Unknown(why),
        };
        let policy = match self.property(d, "KeyPolicy") {
            // Without one, KMS gives the key its default policy: the account, through IAM.
            None => Fact::Known(
                json!({"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions",
                    "Effect": "Allow", "Principal": {"AWS": format!("arn:{}:iam::{}:root", self.r.pseudo.partition, self.account)},
                    "Action": "kms:*", "Resource": "*"}]})
                .to_string()
                .into(),
            ),
            Some(Resolved::Text(text)) => Fact::Known(text),
            Some(document) => match document.first_unknown() {
                Some((path, u)) => Fact::Unknown(unknown_at(&at(id, &format!("KeyPolicy{path}")), u)),
                None => Fact::Known(document.to_json(&|_| Json::Null).to_string().into()),
            },
        };
        let facts = KeyFacts {
            key_id: key_id(id).into(),
            spec: word("KeySpec", "SYMMETRIC_DEFAULT"),
            usage: word("KeyUsage", "ENCRYPT_DECRYPT"),
            state,
            manager: Fact::Known(KeyManager::Customer),
            origin: word("Origin", "AWS_KMS"),
            custom_key_store: false,
            rotation_enabled: flag("EnableKeyRotation", false),
            tagged_artifact_store: self
                .tags(d)
                .is_ok_and(|tags| tags_mark_artifact_store(tags.iter().map(|(k, v)| (&**k, &**v)))),
            policy: Some(policy),
        };
        let key = key_id(id);
        self.out.inventory.insert(
            self.subject(ResourceKind::Key, &key),
            ResourceFacts::Key(Fact::Known(Box::new(facts))),
        );
        self.judge(ResourceKind::Key, &key, id, d, line);
    }

    /// A placeholder resource standing for a reference the template does not determine: its
    /// facts are UNKNOWN with the reason, so every control that needs it says so.
    fn placeholder(&mut self, kind: ResourceKind, reason: Box<str>) -> String {
        self.placeholders += 1;
        let id = format!("unresolved-{}", self.placeholders);
        let facts = match kind {
            ResourceKind::Bucket => ResourceFacts::Bucket(Fact::Unknown(reason)),
            _ => ResourceFacts::Key(Fact::Unknown(reason)),
        };
        self.out.inventory.insert(self.subject(kind, &id), facts);
        id
    }

    fn store(&mut self, id: &str, line: u32, d: &Declared<'_>) {
        let props = d
            .node
            .get("Properties")
            .map(|n| self.r.resolve(n))
            .unwrap_or(Resolved::Map(Vec::new()));
        // Which properties decide what is provisioned; the others (ServiceToken, Tags,
        // RetainOnDelete…) may be unknown without changing the verdict.
        let deciding = [
            "KmsKeyArn",
            "CreateKey",
            "UseAwsManagedKey",
            "Versioning",
            "EnforceTls12",
        ];
        let mut undecided = None;
        if let Resolved::Map(entries) = &props {
            for (k, v) in entries {
                if let Some((path, u)) = v.first_unknown() {
                    if deciding.contains(&&**k) && undecided.is_none() {
                        undecided = Some(unknown_at(&at(id, &format!("{k}{path}")), u));
                    }
                }
            }
        }
        let json = props.to_json(&|_| Json::String(UNRESOLVED.into()));
        let name = self
            .resources_reference(id)
            .unwrap_or_else(|| id.to_owned());
        let before = self.out.judged.len();
        let bucket_facts = match (undecided, StoreSpec::parse(&json)) {
            (Some(why), _) => Fact::Unknown(why),
            (None, Err(e)) => {
                Fact::unknown(format!("Resources.{id}: {e}; the provider would refuse it"))
            }
            (None, Ok(spec)) => Fact::Known(self.store_facts(id, line, d, &name, &spec)),
        };
        self.out.inventory.insert(
            self.subject(ResourceKind::Bucket, &name),
            ResourceFacts::Bucket(bucket_facts.boxed()),
        );
        self.judge(ResourceKind::Bucket, &name, id, d, line);
        // The store's bucket first, then the key it creates.
        self.out.judged[before..].rotate_right(1);
    }

    fn store_facts(
        &mut self,
        id: &str,
        line: u32,
        d: &Declared<'_>,
        name: &str,
        spec: &StoreSpec,
    ) -> BucketFacts {
        let partition = self.r.pseudo.partition.clone();
        let key = match &spec.key {
            KeyChoice::AwsManaged => None,
            KeyChoice::Existing(given) => {
                let key = KeyRef::parse(given);
                self.out.keys_used.push(key.clone());
                Some(key)
            }
            KeyChoice::Create { .. } => {
                let key = store_key_id(id);
                let policy = key_policy(&partition, &self.account, spec);
                let facts = KeyFacts {
                    key_id: key.as_str().into(),
                    spec: Fact::Known("SYMMETRIC_DEFAULT".into()),
                    usage: Fact::Known("ENCRYPT_DECRYPT".into()),
                    state: Fact::Known("Enabled".into()),
                    manager: Fact::Known(KeyManager::Customer),
                    origin: Fact::Known("AWS_KMS".into()),
                    custom_key_store: false,
                    rotation_enabled: Fact::Known(true),
                    tagged_artifact_store: true,
                    policy: Some(Fact::Known(policy.into())),
                };
                self.out.inventory.insert(
                    self.subject(ResourceKind::Key, &key),
                    ResourceFacts::Key(Fact::Known(Box::new(facts))),
                );
                self.judge(ResourceKind::Key, &key, id, d, line);
                Some(KeyRef::parse(&key))
            }
        };
        let arn = format!("arn:{partition}:s3:::{name}");
        let spec = StoreSpec {
            // A principal the template does not determine is left out of the Allow the
            // provider writes; the Denies, which the required controls judge, do not depend on it.
            cross_account_principals: spec
                .cross_account_principals
                .iter()
                .filter(|p| *p != UNRESOLVED)
                .cloned()
                .collect(),
            ..spec.clone()
        };
        let policy = match merge(None, own_statements(name, &partition, &spec)) {
            Ok(text) => BucketFacts::policy_from_text(Some(&text), &arn),
            Err(e) => Fact::unknown(e),
        };
        BucketFacts {
            name: name.into(),
            encryption: Fact::Known(Some(DefaultEncryption {
                algorithm: "aws:kms".into(),
                key,
            })),
            policy,
            versioning: Fact::Known(if spec.versioning {
                Versioning::Enabled
            } else {
                Versioning::Off
            }),
            public_access_block: Fact::Known(PublicAccessBlock::ALL_ON),
            tagged_artifact_store: true,
        }
    }

    fn pipeline(&mut self, id: &str, line: u32, d: &Declared<'_>) {
        let props = d
            .node
            .get("Properties")
            .map(|n| self.r.resolve(n))
            .unwrap_or(Resolved::Map(Vec::new()));
        let mut conversion = Conversion::default();
        let mut declaration = conversion.declaration(&props);
        // Stores and keys the template does not determine stand in as UNKNOWN resources.
        for (pointer, path, u) in std::mem::take(&mut conversion.references) {
            let reason = unknown_at(&at(id, &path), &u);
            let kind = if pointer.ends_with("/location") {
                ResourceKind::Bucket
            } else {
                ResourceKind::Key
            };
            let placeholder = self.placeholder(kind, reason);
            if let Some(slot) = declaration.pointer_mut(&pointer) {
                *slot = Json::String(placeholder);
            }
        }
        let tags = self.tags(d);
        let name = match props.get("Name") {
            Some(Resolved::Text(n)) => n.to_string(),
            _ => super::resources::generated_name(&self.r.pseudo.stack_name, id),
        };
        let facts =
            match pipeline_document(&declaration, &name, Some(tags.clone().unwrap_or_default())) {
                Err(e) => Fact::unknown(format!("Resources.{id}.Properties: {e}")),
                Ok(doc) => {
                    let roles = conversion.roles(&doc, &self.r.pseudo);
                    let mut facts = PipelineFacts::from_document(doc, Some(&self.account));
                    for store in &facts.stores {
                        if !store.location.starts_with("unresolved-") {
                            self.out.buckets_used.push(store.location.clone());
                        }
                        if let Some(key) = &store.encryption_key {
                            if !key.key.as_str().starts_with("unresolved-") {
                                self.out.keys_used.push(key.key.clone());
                            }
                        }
                    }
                    if let Err(why) = roles {
                        facts.foreign_roles =
                            Fact::Unknown(format!("Resources.{id}.Properties.{why}").into());
                    }
                    if let Err((path, u)) = &tags {
                        conversion.content.push((path.clone(), None, u.clone()));
                    }
                    conversion.settle(id, &mut facts);
                    Fact::Known(Box::new(facts))
                }
            };
        self.out.inventory.insert(
            self.subject(ResourceKind::Pipeline, &name),
            ResourceFacts::Pipeline(facts),
        );
        self.judge(ResourceKind::Pipeline, &name, id, d, line);
    }
}

/// A pipeline's CloudFormation properties as `GetPipeline`'s declaration, so that one reader
/// (the one snapshots and live reads use) makes its facts. Values the template does not
/// determine are noted with their paths.
#[derive(Default)]
struct Conversion {
    /// Store locations and keys not determined: (JSON pointer, property path, why).
    references: Vec<(String, String, Unknown)>,
    /// Content not determined: (property path, the configuration key it is under, why).
    content: Vec<(String, Option<Box<str>>, Unknown)>,
    /// Action roles not determined: (property path, why).
    roles: Vec<(String, Unknown)>,
}

/// CloudFormation's property name as the API's member name (`ArtifactStore` → `artifactStore`).
fn member(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

impl Conversion {
    fn declaration(&mut self, props: &Resolved) -> Json {
        let mut out = Map::new();
        let Resolved::Map(entries) = props else {
            return Json::Object(out);
        };
        for (k, v) in entries {
            match &**k {
                "Tags" | "RestartExecutionOnUpdate" => {}
                "ArtifactStores" => {
                    let mut stores = Map::new();
                    if let Resolved::List(items) = v {
                        for (i, item) in items.iter().enumerate() {
                            let region = item.get("Region").and_then(Resolved::text).unwrap_or("");
                            if let Some(store) = item.get("ArtifactStore") {
                                let path = format!("ArtifactStores[{i}].ArtifactStore");
                                let pointer = format!(
                                    "/artifactStores/{}",
                                    region.replace('~', "~0").replace('/', "~1")
                                );
                                stores.insert(
                                    region.to_owned(),
                                    self.value(store, &path, &pointer, None),
                                );
                            }
                        }
                    }
                    out.insert("artifactStores".into(), Json::Object(stores));
                }
                _ => {
                    let name = member(k);
                    let pointer = format!("/{name}");
                    out.insert(name, self.value(v, k, &pointer, None));
                }
            }
        }
        Json::Object(out)
    }

    fn value(&mut self, v: &Resolved, path: &str, pointer: &str, config_key: Option<&str>) -> Json {
        match v {
            Resolved::Null | Resolved::NoValue => Json::Null,
            Resolved::Text(t) => Json::String(t.to_string()),
            Resolved::List(items) => Json::Array(
                items
                    .iter()
                    .filter(|i| **i != Resolved::NoValue)
                    .enumerate()
                    .map(|(i, item)| {
                        self.value(
                            item,
                            &format!("{path}[{i}]"),
                            &format!("{pointer}/{i}"),
                            config_key,
                        )
                    })
                    .collect(),
            ),
            Resolved::Map(entries) => {
                let in_configuration = path.ends_with(".Configuration");
                let mut map = Map::new();
                for (k, child) in entries {
                    if *child == Resolved::NoValue {
                        continue;
                    }
                    // Configuration keys are the action's own, kept as written; a nested
                    // value there is one string to the API.
                    let (name, key) = if in_configuration {
                        (k.to_string(), Some(&**k))
                    } else {
                        (member(k), config_key)
                    };
                    let child_path = format!("{path}.{k}");
                    let child_pointer =
                        format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
                    let value = self.value(child, &child_path, &child_pointer, key);
                    let value = match (in_configuration, value) {
                        (true, v @ (Json::Object(_) | Json::Array(_))) => {
                            Json::String(v.to_string())
                        }
                        (_, v) => v,
                    };
                    map.insert(name, value);
                }
                Json::Object(map)
            }
            Resolved::Unknown(u) => {
                let entry = (path.to_owned(), u.clone());
                if pointer.ends_with("/location")
                    || (pointer.contains("/encryptionKey/") && pointer.ends_with("/id"))
                {
                    self.references.push((pointer.to_owned(), entry.0, entry.1));
                } else if pointer.ends_with("/roleArn") && pointer.contains("/actions/") {
                    self.roles.push(entry);
                } else if !pointer.ends_with("/roleArn") && !u.reference {
                    self.content
                        .push((entry.0, config_key.map(Box::from), entry.1));
                }
                // A plain parameter in a field that names a secret: plaintext, whatever its value.
                match (&u.plain_parameter, config_key) {
                    (Some(p), Some(key)) if scan::names_secret(key) => {
                        Json::String(format!("<the value of parameter {p}>"))
                    }
                    _ => Json::String(UNRESOLVED.into()),
                }
            }
        }
    }

    /// Whether each action's role is in the stack's own account: `Err` with the path and
    /// reason when that cannot be decided.
    fn roles(
        &self,
        doc: &crate::facts::PipelineDocument,
        pseudo: &super::resolve::Pseudo,
    ) -> Result<(), String> {
        if let Some((path, u)) = self.roles.first() {
            return Err(format!("{path}: {}", u.reason));
        }
        if pseudo.account_given {
            return Ok(());
        }
        for (_, action) in doc.actions() {
            let Some(account) = action.role_arn.as_deref().and_then(|r| r.split(':').nth(4)) else {
                continue;
            };
            if account != pseudo.account && !account.is_empty() {
                return Err(format!(
                    "action {}: its role is in account {account}, which may or may not be the stack's; pass --parameters AWS::AccountId=<the stack's account>",
                    action.name
                ));
            }
        }
        Ok(())
    }

    /// Content answers that found nothing become UNKNOWN where a value was not determined.
    fn settle(&self, id: &str, facts: &mut PipelineFacts) {
        let Some((path, _, u)) = self.content.first() else {
            return;
        };
        let why =
            || -> Box<str> { format!("Resources.{id}.Properties.{path}: {}", u.reason).into() };
        let content = &mut facts.content;
        if content.url_credentials == Fact::Known(None) {
            content.url_credentials = Fact::Unknown(why());
        }
        if content.personal_data == Fact::Known(None) {
            content.personal_data = Fact::Unknown(why());
        }
        let secret = self.content.iter().find(|(_, key, _)| {
            key.as_deref()
                .is_some_and(|k| scan::names_secret(k) || k == "EnvironmentVariables")
        });
        if let (Some((path, _, u)), Fact::Known(None)) = (secret, &content.plaintext_secret) {
            content.plaintext_secret =
                Fact::Unknown(format!("Resources.{id}.Properties.{path}: {}", u.reason).into());
        }
    }
}
