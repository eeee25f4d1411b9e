//! CodePipeline: pipeline names, declarations and tags.

use aws_sdk_codepipeline::types::{ArtifactStore as SdkStore, PipelineDeclaration};

use super::{source_error, AwsAccount};
use crate::facts::{
    Action, ArtifactStore, Fact, Field, KeyRef, PipelineDocument, PipelineFacts, Stage, StoreKey,
};
use crate::live::{PipelineReader, SourceError};

impl PipelineReader for AwsAccount {
    async fn list_pipelines(&self) -> Result<Vec<String>, SourceError> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            self.calls.add();
            let out = self
                .codepipeline
                .list_pipelines()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| source_error("codepipeline:ListPipelines", &e))?;
            names.extend(
                out.pipelines()
                    .iter()
                    .filter_map(|p| p.name().map(str::to_owned)),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(names);
            }
        }
    }

    async fn pipeline_tags(&self, arn: &str) -> Fact<Vec<(Box<str>, Box<str>)>> {
        self.tags(arn).await
    }

    async fn read_pipeline(&self, name: &str, account_id: Option<&str>) -> Fact<PipelineFacts> {
        self.calls.add();
        let out = match self.codepipeline.get_pipeline().name(name).send().await {
            Ok(out) => out,
            Err(e) => {
                return Fact::unknown(source_error("codepipeline:GetPipeline", &e).to_string())
            }
        };
        let Some(declaration) = out.pipeline() else {
            return Fact::unknown("codepipeline:GetPipeline returned no pipeline");
        };
        let arn = out.metadata().and_then(|m| m.pipeline_arn());
        // The ARN names the owner; it also tells us the account when the caller does not.
        let owner = account_id.or_else(|| arn.and_then(|a| a.split(':').nth(4)));
        let tags = match arn {
            None => Fact::unknown(
                "codepipeline:GetPipeline returned no pipeline ARN, so tags were not read",
            ),
            Some(arn) => self.tags(arn).await,
        };
        Fact::Known(PipelineFacts::from_document(
            document(declaration, tags),
            owner,
        ))
    }
}

impl AwsAccount {
    async fn tags(&self, arn: &str) -> Fact<Vec<(Box<str>, Box<str>)>> {
        let mut tags = Vec::new();
        let mut token = None;
        loop {
            self.calls.add();
            let out = match self
                .codepipeline
                .list_tags_for_resource()
                .resource_arn(arn)
                .set_next_token(token)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    return Fact::unknown(
                        source_error("codepipeline:ListTagsForResource", &e).to_string(),
                    )
                }
            };
            tags.extend(
                out.tags()
                    .iter()
                    .map(|t| (Box::from(t.key()), Box::from(t.value()))),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Fact::Known(tags);
            }
        }
    }
}

fn store(store: &SdkStore, region: Option<&str>) -> ArtifactStore {
    ArtifactStore {
        region: region.map(Box::from),
        store_type: store.r#type().as_str().into(),
        location: store.location().into(),
        encryption_key: store.encryption_key().map(|k| StoreKey {
            key_type: k.r#type().as_str().into(),
            key: KeyRef::parse(k.id()),
        }),
    }
}

/// The SDK's declaration as a [`PipelineDocument`].
pub(crate) fn document(
    declaration: &PipelineDeclaration,
    tags: Fact<Vec<(Box<str>, Box<str>)>>,
) -> PipelineDocument {
    let mut stores: Vec<ArtifactStore> = declaration
        .artifact_store()
        .map(|s| store(s, None))
        .into_iter()
        .collect();
    if let Some(map) = declaration.artifact_stores() {
        let mut regions: Vec<_> = map.iter().collect();
        regions.sort_by(|a, b| a.0.cmp(b.0));
        stores.extend(
            regions
                .into_iter()
                .map(|(region, s)| store(s, Some(region))),
        );
    }
    let stages = declaration
        .stages()
        .iter()
        .map(|s| Stage {
            name: s.name().into(),
            actions: s
                .actions()
                .iter()
                .map(|a| {
                    let mut configuration: Vec<(Box<str>, Box<str>)> = a
                        .configuration()
                        .map(|c| {
                            c.iter()
                                .map(|(k, v)| (Box::from(k.as_str()), Box::from(v.as_str())))
                                .collect()
                        })
                        .unwrap_or_default();
                    configuration.sort();
                    Action {
                        name: a.name().into(),
                        provider: a.action_type_id().map(|t| Box::from(t.provider())),
                        role_arn: a.role_arn().map(Box::from),
                        configuration,
                    }
                })
                .collect(),
        })
        .collect();
    PipelineDocument {
        name: declaration.name().into(),
        role_arn: Some(declaration.role_arn().into()),
        stores,
        stages,
        tags,
        fields: free_form_fields(declaration),
    }
}

/// The V2 declaration's free-form text: variables' default values and descriptions, and the
/// triggers' source action names and filter patterns.
fn free_form_fields(declaration: &PipelineDeclaration) -> Vec<Field> {
    let field = |place: String, name: &str, value: &str| Field {
        place: place.into(),
        name: name.into(),
        value: value.into(),
    };
    let mut out = Vec::new();
    for v in declaration.variables() {
        let name = v.name();
        if let Some(default) = v.default_value() {
            out.push(field(
                format!("variable {name} default value"),
                name,
                default,
            ));
        }
        if let Some(description) = v.description() {
            out.push(field(
                format!("variable {name} description"),
                "description",
                description,
            ));
        }
    }
    for (i, trigger) in declaration.triggers().iter().enumerate() {
        let Some(git) = trigger.git_configuration() else {
            continue;
        };
        let at = |what: &str| format!("triggers[{i}].gitConfiguration.{what}");
        out.push(field(
            at("sourceActionName"),
            "sourceActionName",
            git.source_action_name(),
        ));
        let mut patterns: Vec<(String, &str)> = Vec::new();
        for (j, push) in git.push().iter().enumerate() {
            let at = |kind: &str| format!("push[{j}].{kind}");
            add_patterns(
                at("branches"),
                push.branches().map(|f| (f.includes(), f.excludes())),
                &mut patterns,
            );
            add_patterns(
                at("filePaths"),
                push.file_paths().map(|f| (f.includes(), f.excludes())),
                &mut patterns,
            );
            add_patterns(
                at("tags"),
                push.tags().map(|f| (f.includes(), f.excludes())),
                &mut patterns,
            );
        }
        for (j, pull) in git.pull_request().iter().enumerate() {
            let at = |kind: &str| format!("pullRequest[{j}].{kind}");
            add_patterns(
                at("branches"),
                pull.branches().map(|f| (f.includes(), f.excludes())),
                &mut patterns,
            );
            add_patterns(
                at("filePaths"),
                pull.file_paths().map(|f| (f.includes(), f.excludes())),
                &mut patterns,
            );
        }
        out.extend(
            patterns
                .into_iter()
                .map(|(place, p)| field(at(&place), "pattern", p)),
        );
    }
    out
}

/// A trigger filter's include and exclude patterns, each at `at`.
fn add_patterns<'a>(
    at: String,
    filter: Option<(&'a [String], &'a [String])>,
    out: &mut Vec<(String, &'a str)>,
) {
    if let Some((includes, excludes)) = filter {
        out.extend(
            includes
                .iter()
                .chain(excludes)
                .map(|p| (at.clone(), p.as_str())),
        );
    }
}
