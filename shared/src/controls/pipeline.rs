//! Pipeline controls.

use std::borrow::Cow;

use serde_json::Value;

use crate::assess::Inventory;
use crate::facts::{Fact, PipelineFacts, StoreKey};

use super::bucket::customer_managed;
use super::key::usable_by_codepipeline;
use super::scan;
use super::{ControlId as C, Outcome, Status};

/// How protected one artifact bucket is, as the assessor judged it.
pub(crate) type StoreJudge<'a> = dyn Fn(&str) -> (Status, Cow<'static, str>) + 'a;

pub(crate) fn check(
    p: &PipelineFacts,
    inventory: &Inventory,
    judge: &StoreJudge<'_>,
    out: &mut Vec<Outcome>,
) {
    out.push(stores_protected(p, judge));
    out.push(keys_usable(p, inventory));
    out.push(cross_account_cmk(p, inventory));
    out.push(no_url_credentials(p));
    out.push(no_plaintext_secrets(p));
    out.push(no_personal_data(p));
    out.push(every_store(
        p,
        C::PipelineCustomerManagedKey,
        |key| match key {
            None => (Status::Fail, "uses the AWS managed key aws/s3".into()),
            Some(key) => {
                let (status, detail) = cmk(key, p, inventory);
                (status, detail.into())
            }
        },
    ));
}

/// Applies a per-store test to every store; the first store that does not pass is named.
fn every_store(
    p: &PipelineFacts,
    control: C,
    test: impl Fn(Option<&StoreKey>) -> (Status, Cow<'static, str>),
) -> Outcome {
    let mut status = Status::Pass;
    let mut detail: Cow<'static, str> = Cow::Borrowed("every artifact store passes");
    for store in &p.stores {
        let (s, d) = test(store.encryption_key.as_ref());
        if s != Status::Pass && status.and(s) != status {
            status = status.and(s);
            detail = Cow::Owned(format!("artifact store {}: {d}", store.location));
        }
    }
    Outcome::new(control, status, detail)
}

fn stores_protected(p: &PipelineFacts, judge: &StoreJudge<'_>) -> Outcome {
    let mut status = Status::Pass;
    let mut detail: Cow<'static, str> =
        Cow::Borrowed("every artifact store is a protected S3 bucket");
    for store in &p.stores {
        let (s, d) = if &*store.store_type != "S3" {
            (
                Status::Fail,
                Cow::Owned(format!("store type {} is not S3", store.store_type)),
            )
        } else {
            judge(&store.location)
        };
        if s != Status::Pass && status.and(s) != status {
            status = status.and(s);
            detail = Cow::Owned(format!("artifact store {}: {d}", store.location));
        }
    }
    Outcome::new(C::PipelineStoreProtected, status, detail)
}

fn keys_usable(p: &PipelineFacts, inventory: &Inventory) -> Outcome {
    every_store(p, C::PipelineKeyUsable, |key| match key {
        None => (Status::Pass, "uses the AWS managed key aws/s3".into()),
        Some(k) if !k.key_type.eq_ignore_ascii_case("KMS") => (
            Status::Fail,
            format!("encryptionKey type {:?} is not KMS", k.key_type).into(),
        ),
        Some(k) => usable_by_codepipeline(&inventory.key(&k.key)),
    })
}

/// Is a store key customer managed? A key ARN in another account always is: AWS managed keys
/// cannot be shared across accounts.
fn cmk(key: &StoreKey, p: &PipelineFacts, inventory: &Inventory) -> (Status, String) {
    if let (Some(key_account), Some(own)) = (key.key.account(), p.account_id.as_deref()) {
        if key_account != own && !key.key.is_aws_managed_s3_alias() {
            return (
                Status::Pass,
                format!(
                    "{} is in account {key_account}, so customer managed",
                    key.key
                ),
            );
        }
    }
    customer_managed(&inventory.key(&key.key))
}

fn cross_account_cmk(p: &PipelineFacts, inventory: &Inventory) -> Outcome {
    let Some(own) = p.account_id.as_deref() else {
        return Outcome::new(
            C::PipelineCrossAccountCmk,
            Status::Unknown,
            "the pipeline's account is not known",
        );
    };
    let foreign = p.stages.iter().flat_map(|s| &s.actions).find_map(|a| {
        let account = a.role_arn.as_deref()?.split(':').nth(4)?;
        (!account.is_empty() && account != own).then_some((a, account))
    });
    let Some((action, account)) = foreign else {
        return Outcome::new(
            C::PipelineCrossAccountCmk,
            Status::NotApplicable,
            "no action uses another account's role",
        );
    };
    let mut outcome = every_store(p, C::PipelineCrossAccountCmk, |key| match key {
        None => (
            Status::Fail,
            "uses aws/s3, which another account cannot use".into(),
        ),
        Some(key) => {
            let (status, detail) = cmk(key, p, inventory);
            (status, detail.into())
        }
    });
    if outcome.status != Status::Pass {
        outcome.detail = Cow::Owned(format!(
            "action {} uses a role in account {account}; {}",
            action.name, outcome.detail
        ));
    }
    outcome
}

fn actions(p: &PipelineFacts) -> impl Iterator<Item = (&str, &crate::facts::Action)> {
    p.stages
        .iter()
        .flat_map(|s| s.actions.iter().map(move |a| (&*s.name, a)))
}

fn no_url_credentials(p: &PipelineFacts) -> Outcome {
    for (stage, action) in actions(p) {
        for (key, value) in &action.configuration {
            if let Some(kind) = scan::url_credentials(value) {
                return Outcome::new(
                    C::PipelineNoUrlCredentials,
                    Status::Fail,
                    format!(
                        "stage {stage}, action {}: configuration {key} holds {}",
                        action.name,
                        kind.describe()
                    ),
                );
            }
        }
    }
    Outcome::new(
        C::PipelineNoUrlCredentials,
        Status::Pass,
        "no URL carries credentials",
    )
}

fn no_plaintext_secrets(p: &PipelineFacts) -> Outcome {
    let fail = |detail: String| Outcome::new(C::PipelineNoPlaintextSecrets, Status::Fail, detail);
    for (stage, action) in actions(p) {
        let at = || format!("stage {stage}, action {}", action.name);
        for (key, value) in &action.configuration {
            if scan::names_secret(key) && !scan::is_reference_or_masked(value) {
                return fail(format!(
                    "{}: configuration {key} holds a plaintext value",
                    at()
                ));
            }
            if &**key == "EnvironmentVariables" {
                match plaintext_secret_variable(value) {
                    Ok(None) => {}
                    Ok(Some(name)) => {
                        return fail(format!(
                            "{}: environment variable {name} is PLAINTEXT; use PARAMETER_STORE or SECRETS_MANAGER",
                            at()
                        ))
                    }
                    Err(why) => {
                        return Outcome::new(
                            C::PipelineNoPlaintextSecrets,
                            Status::Unknown,
                            format!("{}: EnvironmentVariables {why}", at()),
                        )
                    }
                }
            }
        }
    }
    Outcome::new(
        C::PipelineNoPlaintextSecrets,
        Status::Pass,
        "no secret is held in plain text",
    )
}

/// The name of the first PLAINTEXT variable whose name says secret, in CodeBuild's
/// `EnvironmentVariables` JSON.
fn plaintext_secret_variable(json: &str) -> Result<Option<String>, &'static str> {
    if scan::is_reference_or_masked(json) {
        return Ok(None);
    }
    let list: Value = serde_json::from_str(json).map_err(|_| "is not valid JSON")?;
    let list = list.as_array().ok_or("is not a JSON list")?;
    for var in list {
        let name = var.get("name").and_then(Value::as_str).unwrap_or_default();
        let kind = var
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("PLAINTEXT");
        let value = var.get("value").and_then(Value::as_str).unwrap_or_default();
        if kind.eq_ignore_ascii_case("PLAINTEXT")
            && scan::env_name_says_secret(name)
            && !scan::is_reference_or_masked(value)
            && !value.starts_with("arn:")
        {
            return Ok(Some(name.to_owned()));
        }
    }
    Ok(None)
}

fn no_personal_data(p: &PipelineFacts) -> Outcome {
    let fail = |place: String| {
        Outcome::new(
            C::PipelineNoPersonalData,
            Status::Fail,
            format!("{place} holds an e-mail address"),
        )
    };
    if scan::contains_email(&p.name) {
        return fail("the pipeline name".into());
    }
    for stage in &p.stages {
        if scan::contains_email(&stage.name) {
            return fail("a stage name".into());
        }
        for action in &stage.actions {
            if scan::contains_email(&action.name) {
                return fail(format!("an action name in stage {}", stage.name));
            }
        }
    }
    match &p.tags {
        Fact::Unknown(r) => Outcome::new(
            C::PipelineNoPersonalData,
            Status::Unknown,
            format!("tags: {r}"),
        ),
        Fact::Known(tags) => {
            for (k, v) in tags {
                if scan::contains_email(k) {
                    return fail("a tag key".into());
                }
                if scan::contains_email(v) {
                    return fail(format!("the value of tag {k}"));
                }
            }
            Outcome::new(
                C::PipelineNoPersonalData,
                Status::Pass,
                "no e-mail address in names or tags",
            )
        }
    }
}
