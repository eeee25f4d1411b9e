//! Pipelines: the declaration as read ([`PipelineDocument`]) and the compact facts the
//! controls use ([`PipelineFacts`]).
//!
//! Like a bucket policy, a pipeline's configuration text is reduced to answers when it is read:
//! where (if anywhere) a URL carries credentials, a secret sits in plain text, or an e-mail
//! address appears. The answers name the place and the kind of problem, never the text.

use serde::{Deserialize, Serialize};

use super::{scan, Fact, KeyRef};

/// One artifact store of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactStore {
    /// The region key of `artifactStores`, `None` for the single `artifactStore`.
    pub region: Option<Box<str>>,
    /// `type`: `S3` is the only kind CodePipeline offers today.
    pub store_type: Box<str>,
    /// The bucket name.
    pub location: Box<str>,
    /// `encryptionKey`, when set.
    pub encryption_key: Option<StoreKey>,
}

/// `encryptionKey` of an artifact store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreKey {
    /// `type`: must be `KMS`.
    pub key_type: Box<str>,
    /// `id`: a key id, key ARN, alias name or alias ARN.
    pub key: KeyRef,
}

/// A pipeline action, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Action name.
    pub name: Box<str>,
    /// `actionTypeId.provider` (or `actionType.provider`).
    pub provider: Option<Box<str>>,
    /// The role the action assumes, if any.
    pub role_arn: Option<Box<str>>,
    /// `configuration`, values as strings, in declaration order.
    pub configuration: Vec<(Box<str>, Box<str>)>,
}

/// A pipeline stage, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Stage name.
    pub name: Box<str>,
    /// Its actions.
    pub actions: Vec<Action>,
}

/// A free-form field of a declaration besides the names, tags and action configuration: a
/// pipeline variable's default value or description, a trigger's filter pattern, and any other
/// text a declaration carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Where it is, for findings (`variable DEPLOY_TOKEN default value`, `triggers[0]…`).
    pub place: Box<str>,
    /// The name that says what it holds: a variable's name, or the field's own key.
    pub name: Box<str>,
    /// Its text.
    pub value: Box<str>,
}

/// Everything read about a pipeline: its declaration (as `GetPipeline` returns it) and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineDocument {
    /// Pipeline name.
    pub name: Box<str>,
    /// The pipeline's service role (`roleArn`).
    pub role_arn: Option<Box<str>>,
    /// Artifact stores (one, or one per region).
    pub stores: Vec<ArtifactStore>,
    /// Stages and actions.
    pub stages: Vec<Stage>,
    /// Tags (key, value); `Unknown` when the source did not include them.
    pub tags: Fact<Vec<(Box<str>, Box<str>)>>,
    /// Free-form fields (V2: variables and triggers).
    pub fields: Vec<Field>,
}

/// An action that assumes a role in another account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignRole {
    /// The action's name.
    pub action: Box<str>,
    /// The other account.
    pub account: Box<str>,
    /// The role (`roleArn`).
    pub role: Box<str>,
}

/// Answers about a pipeline's names, tags and action configuration. `None` means the problem
/// does not occur; `Some` describes where it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentAnswers {
    /// A URL with credentials; `Unknown` when a value could not be read.
    pub url_credentials: Fact<Option<Box<str>>>,
    /// A secret in plain text; `Unknown` when a value could not be read.
    pub plaintext_secret: Fact<Option<Box<str>>>,
    /// An e-mail address in a name or tag; `Unknown` when tags are not known.
    pub personal_data: Fact<Option<Box<str>>>,
}

/// What the controls need to know about a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineFacts {
    /// Pipeline name.
    pub name: Box<str>,
    /// The account that owns the pipeline.
    pub account_id: Option<Box<str>>,
    /// The pipeline's service role (`roleArn`).
    pub role_arn: Option<Box<str>>,
    /// Artifact stores (one, or one per region).
    pub stores: Vec<ArtifactStore>,
    /// The actions that use another account's role, in declaration order; `Unknown` without
    /// the owner account.
    pub foreign_roles: Fact<Vec<ForeignRole>>,
    /// Answers about names, tags and configuration.
    pub content: ContentAnswers,
}

impl PipelineFacts {
    /// Reduces a pipeline document owned by `account_id` to its facts.
    pub fn from_document(doc: PipelineDocument, account_id: Option<&str>) -> Self {
        let foreign_roles = match account_id {
            None => Fact::unknown("the pipeline's account is not known"),
            Some(own) => Fact::Known(
                doc.actions()
                    .filter_map(|(_, a)| {
                        let role = a.role_arn.as_deref()?;
                        let account = role.split(':').nth(4)?;
                        (!account.is_empty() && account != own).then(|| ForeignRole {
                            action: a.name.clone(),
                            account: account.into(),
                            role: role.into(),
                        })
                    })
                    .collect(),
            ),
        };
        let content = ContentAnswers {
            url_credentials: Fact::Known(url_credentials(&doc)),
            plaintext_secret: plaintext_secret(&doc),
            personal_data: personal_data(&doc),
        };
        Self {
            name: doc.name,
            account_id: account_id.map(Box::from),
            role_arn: doc.role_arn,
            stores: doc.stores,
            foreign_roles,
            content,
        }
    }
}

impl PipelineDocument {
    /// Every action with its stage name, in declaration order.
    pub fn actions(&self) -> impl Iterator<Item = (&str, &Action)> {
        self.stages
            .iter()
            .flat_map(|s| s.actions.iter().map(move |a| (&*s.name, a)))
    }
}

fn url_credentials(doc: &PipelineDocument) -> Option<Box<str>> {
    let in_actions = doc.actions().find_map(|(stage, action)| {
        action.configuration.iter().find_map(|(key, value)| {
            scan::url_credentials(value).map(|kind| {
                format!(
                    "stage {stage}, action {}: configuration {key} holds {}",
                    action.name,
                    kind.describe()
                )
                .into()
            })
        })
    });
    in_actions.or_else(|| {
        doc.fields.iter().find_map(|f| {
            scan::url_credentials(&f.value)
                .map(|kind| format!("{} holds {}", f.place, kind.describe()).into())
        })
    })
}

fn plaintext_secret(doc: &PipelineDocument) -> Fact<Option<Box<str>>> {
    for (stage, action) in doc.actions() {
        let at = || format!("stage {stage}, action {}", action.name);
        for (key, value) in &action.configuration {
            if scan::names_secret(key) && !scan::is_reference_or_masked(value) {
                return Fact::Known(Some(
                    format!("{}: configuration {key} holds a plaintext value", at()).into(),
                ));
            }
            if &**key == "EnvironmentVariables" {
                match scan::plaintext_secret_variable(value) {
                    Ok(None) => {}
                    Ok(Some(name)) => {
                        return Fact::Known(Some(
                            format!(
                                "{}: environment variable {name} is PLAINTEXT; use PARAMETER_STORE or SECRETS_MANAGER",
                                at()
                            )
                            .into(),
                        ))
                    }
                    Err(why) => return Fact::unknown(format!("{}: EnvironmentVariables {why}", at())),
                }
            }
        }
    }
    for field in &doc.fields {
        if scan::names_secret(&field.name) && !scan::is_reference_or_masked(&field.value) {
            return Fact::Known(Some(
                format!("{} holds a plaintext value", field.place).into(),
            ));
        }
    }
    Fact::Known(None)
}

fn personal_data(doc: &PipelineDocument) -> Fact<Option<Box<str>>> {
    let found =
        |place: String| Fact::Known(Some(format!("{place} holds an e-mail address").into()));
    if scan::contains_email(&doc.name) {
        return found("the pipeline name".into());
    }
    for stage in &doc.stages {
        if scan::contains_email(&stage.name) {
            return found("a stage name".into());
        }
        if stage.actions.iter().any(|a| scan::contains_email(&a.name)) {
            return found(format!("an action name in stage {}", stage.name));
        }
    }
    if let Some(field) = doc.fields.iter().find(|f| scan::contains_email(&f.value)) {
        return found(field.place.to_string());
    }
    match &doc.tags {
        Fact::Unknown(r) => Fact::unknown(format!("tags: {r}")),
        Fact::Known(tags) => {
            for (k, v) in tags {
                if scan::contains_email(k) {
                    return found("a tag key".into());
                }
                if scan::contains_email(v) {
                    return found(format!("the value of tag {k}"));
                }
            }
            Fact::Known(None)
        }
    }
}
