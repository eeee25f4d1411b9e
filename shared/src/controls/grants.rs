//! `pipeline-key-grants`: can the pipeline's roles actually use its artifact stores?
//!
//! CodePipeline's encryption guide: a pipeline that runs actions with roles of other accounts
//! needs a customer managed key whose policy grants those accounts, and a bucket policy that
//! lets them read and write the artifacts. The pipeline's own role needs the key too. Each grant
//! is asked of the policy with [`grant`](crate::policy::grant::grant), three-valued: an Allow
//! counts only when it certainly applies, a Deny that may apply leaves it undecided.

use std::fmt::Write as _;

use crate::facts::{Fact, Inventory, KeyLookup, KeyManager, PipelineFacts, Place, StoreKey};
use crate::policy::grant::{artifact_access, grant, key_use, Caller, Grant, Route};
use crate::policy::{Policy, PolicyVerdict};

use super::{ControlId as C, Outcome, Status};

/// One role the pipeline runs with, and how the findings name it.
struct Role<'a> {
    caller: Caller<'a>,
    label: String,
    /// Another account's role: the bucket policy must let it in as well.
    foreign: bool,
}

/// The outcome: the worst finding wins and is named; a pass says which grants go through an
/// account root, since the role's own IAM policies must then allow the same actions.
pub(crate) fn check(p: &PipelineFacts, inventory: &Inventory, from: Place<'_>) -> Outcome {
    let mut findings = Findings::default();
    let roles = match roles(p) {
        Ok(roles) => roles,
        Err(why) => return Outcome::new(C::PipelineKeyGrants, Status::Unknown, why),
    };
    for store in p.stores.iter().filter(|s| &*s.store_type == "S3") {
        let at = format!("artifact store {}", store.location);
        key_grants(
            &at,
            store.encryption_key.as_ref(),
            &roles,
            inventory,
            from,
            &mut findings,
        );
        for role in roles.iter().filter(|r| r.foreign) {
            bucket_grant(
                &at,
                &store.location,
                &p.name,
                role,
                inventory,
                &mut findings,
            );
        }
    }
    findings.outcome()
}

/// The pipeline's role and every other account's action role, or why they are not known.
fn roles(p: &PipelineFacts) -> Result<Vec<Role<'_>>, String> {
    let own = p
        .role_arn
        .as_deref()
        .ok_or("the pipeline's roleArn is not known")?;
    let caller =
        Caller::of_role(own).ok_or_else(|| format!("roleArn {own} is not an IAM role ARN"))?;
    let mut roles = vec![Role {
        caller,
        label: format!("the pipeline's role {own}"),
        foreign: false,
    }];
    let foreign = match &p.foreign_roles {
        Fact::Known(list) => list,
        Fact::Unknown(why) => {
            return Err(format!(
                "which actions use other accounts' roles is unknown: {why}"
            ))
        }
    };
    for f in foreign {
        let caller = Caller::of_role(&f.role).ok_or_else(|| {
            format!(
                "action {}: roleArn {} is not an IAM role ARN",
                f.action, f.role
            )
        })?;
        roles.push(Role {
            caller,
            label: format!(
                "action {}'s role {} (account {})",
                f.action, f.role, f.account
            ),
            foreign: true,
        });
    }
    Ok(roles)
}

fn key_grants(
    at: &str,
    key: Option<&StoreKey>,
    roles: &[Role<'_>],
    inventory: &Inventory,
    from: Place<'_>,
    findings: &mut Findings,
) {
    let facts = match key {
        // Not KMS: pipeline-key-usable says so.
        Some(k) if !k.key_type.eq_ignore_ascii_case("KMS") => return,
        None => KeyLookup::AwsManagedS3,
        Some(k) => inventory.key(&k.key, from),
    };
    let key_name = key.map_or_else(|| "aws/s3".to_owned(), |k| k.key.to_string());
    let policy_text = match facts {
        KeyLookup::AwsManagedS3 => return aws_managed(at, "aws/s3", roles, findings),
        KeyLookup::Found(k) if k.manager == Fact::Known(KeyManager::Aws) => {
            return aws_managed(at, &key_name, roles, findings)
        }
        KeyLookup::Found(k) => match &k.policy {
            None => {
                return findings.add(
                    Status::Unknown,
                    format!("{at}: {key_name}: AWS Config does not record key policies; artifact-guard scan and the functions read them with kms:GetKeyPolicy"),
                )
            }
            Some(Fact::Unknown(why)) => {
                return findings.add(Status::Unknown, format!("{at}: {key_name}: {why}"))
            }
            Some(Fact::Known(text)) => text,
        },
        KeyLookup::Gone(why) | KeyLookup::Unknown(why) => {
            return findings.add(Status::Unknown, format!("{at}: {why}"))
        }
    };
    let policy = match Policy::from_json_text(policy_text) {
        Ok(p) => p,
        Err(e) => {
            return findings.add(
                Status::Unknown,
                format!("{at}: {key_name}: key policy: {e}"),
            )
        }
    };
    let requests = key_use();
    for role in roles {
        let g = grant(&policy, role.caller, &requests);
        findings.judge(
            &g,
            &format!("{at}: the policy of {key_name}"),
            role,
            "use the key for",
        );
    }
}

/// An AWS managed key serves every principal of its account through S3, and no other account.
fn aws_managed(at: &str, key: &str, roles: &[Role<'_>], findings: &mut Findings) {
    for role in roles.iter().filter(|r| r.foreign) {
        findings.add(
            Status::Fail,
            format!("{at}: {} cannot use the AWS managed key {key}: AWS managed keys cannot be shared with other accounts; use a customer managed key whose policy grants that account", role.label),
        );
    }
    findings.add(Status::Pass, String::new());
}

fn bucket_grant(
    at: &str,
    bucket: &str,
    pipeline: &str,
    role: &Role<'_>,
    inventory: &Inventory,
    findings: &mut Findings,
) {
    let answers = match inventory.bucket_facts(bucket) {
        Fact::Known((_, b)) => match &b.policy {
            Fact::Known(answers) => answers,
            Fact::Unknown(why) => return findings.add(Status::Unknown, format!("{at}: {why}")),
        },
        Fact::Unknown(why) => return findings.add(Status::Unknown, format!("{at}: {why}")),
    };
    let Some(text) = answers.document.as_deref() else {
        if answers.allows {
            return findings.add(
                Status::Unknown,
                format!("{at}: the bucket policy's text was not kept with its answers"),
            );
        }
        if answers.unencrypted_uploads != PolicyVerdict::NoPolicy {
            return findings.add(
                Status::Fail,
                format!("{at}: the bucket policy allows nothing (it holds only Deny statements), so {} cannot read or write the artifacts: allow s3:GetObject and s3:PutObject on arn:aws:s3:::{bucket}/* to that role or its account", role.label),
            );
        }
        return findings.add(
            Status::Fail,
            format!("{at}: the bucket has no policy, so {} cannot read or write the artifacts: allow s3:GetObject and s3:PutObject on arn:aws:s3:::{bucket}/* to that role or its account", role.label),
        );
    };
    let policy = match Policy::from_json_text(text) {
        Ok(p) => p,
        Err(e) => {
            return findings.add(
                Status::Unknown,
                format!("{at}: the bucket policy cannot be read: {e}"),
            )
        }
    };
    // The pipeline's objects: `<pipeline name, up to 20 characters>/<artifact>/<object>`.
    let prefix: String = pipeline.chars().take(20).collect();
    let partition = role.caller.role_arn.split(':').nth(1).unwrap_or("aws");
    let object = format!("arn:{partition}:s3:::{bucket}/{prefix}/SourceArtifact/object");
    let requests = artifact_access(&object);
    let g = grant(&policy, role.caller, &requests);
    findings.judge(
        &g,
        &format!("{at}: the bucket policy"),
        role,
        "read and write the artifacts with",
    );
}

/// The findings so far: the worst status, the first detail at it, and the roles let in only
/// through their account's root.
#[derive(Default)]
struct Findings {
    status: Option<Status>,
    detail: String,
    through_root: Vec<String>,
}

impl Findings {
    fn add(&mut self, status: Status, detail: String) {
        let worse = match self.status {
            None => true,
            Some(held) => held != held.and(status),
        };
        if worse {
            self.status = Some(self.status.map_or(status, |held| held.and(status)));
            self.detail = detail;
        }
    }

    /// One policy's answer for one role, in words.
    fn judge(&mut self, g: &Grant, policy: &str, role: &Role<'_>, doing: &str) {
        let action = g.action.unwrap_or("?");
        if g.granted() {
            if g.route == Some(Route::AccountRoot) {
                let who = format!("{} ({policy})", role.caller.role_arn);
                if !self.through_root.contains(&who) {
                    self.through_root.push(who);
                }
            }
            return self.add(Status::Pass, String::new());
        }
        if g.refused() {
            let detail = match g.statement {
                Some(i) => format!("{policy}: Statement[{i}] denies {} {action}", role.label),
                None => format!("{policy} does not let {} {doing} {action}: no statement allows it to that role or its account", role.label),
            };
            return self.add(Status::Fail, detail);
        }
        let mut detail = format!(
            "{policy}: whether {} may {doing} {action} is undecided",
            role.label
        );
        if let Some(i) = g.statement {
            let _ = write!(detail, ": Statement[{i}]");
        }
        if let Some(why) = &g.undecided {
            let _ = write!(detail, ", {why}");
        }
        self.add(Status::Unknown, detail);
    }

    fn outcome(self) -> Outcome {
        match self.status {
            None => Outcome::new(C::PipelineKeyGrants, Status::NotApplicable, "no S3 artifact store"),
            Some(Status::Pass) if self.through_root.is_empty() => Outcome::new(
                C::PipelineKeyGrants,
                Status::Pass,
                "every role the pipeline runs with is granted its artifact stores' keys and objects",
            ),
            Some(Status::Pass) => Outcome::new(
                C::PipelineKeyGrants,
                Status::Pass,
                format!(
                    "granted through the account root, which delegates to IAM (the role's own policies must allow the same actions): {}",
                    self.through_root.join("; ")
                ),
            ),
            Some(status) => Outcome::new(C::PipelineKeyGrants, status, self.detail),
        }
    }
}

#[cfg(test)]
#[path = "grants_tests.rs"]
mod tests;
