//! Pipeline controls.

use std::borrow::Cow;

use crate::facts::{Fact, Inventory, PipelineFacts, Place, StoreKey};

use super::bucket::customer_managed;
use super::key::usable_by_codepipeline;
use super::{ControlId as C, Outcome, Status};

/// How protected one artifact bucket is, as the assessor judged it.
pub(crate) type StoreJudge<'a> = dyn Fn(&str) -> (Status, Cow<'static, str>) + 'a;

/// `from`: where the pipeline lives (keys named by id or alias are its account's).
pub(crate) fn check(
    p: &PipelineFacts,
    inventory: &Inventory,
    from: Place<'_>,
    judge: &StoreJudge<'_>,
    out: &mut Vec<Outcome>,
) {
    out.push(every_store(
        p,
        C::PipelineStoreProtected,
        |store_type, location, _| {
            if store_type == "S3" {
                judge(location)
            } else {
                (
                    Status::Fail,
                    format!("store type {store_type} is not S3").into(),
                )
            }
        },
    ));
    out.push(every_store(
        p,
        C::PipelineKeyUsable,
        |_, _, key| match key {
            None => (Status::Pass, "uses the AWS managed key aws/s3".into()),
            Some(k) if !k.key_type.eq_ignore_ascii_case("KMS") => (
                Status::Fail,
                format!("encryptionKey type {:?} is not KMS", k.key_type).into(),
            ),
            Some(k) => usable_by_codepipeline(&inventory.key(&k.key, from)),
        },
    ));
    out.push(cross_account_cmk(p, inventory, from));
    out.push(answer(
        C::PipelineNoUrlCredentials,
        p.content.url_credentials.as_ref(),
        "no URL carries credentials",
    ));
    out.push(answer(
        C::PipelineNoPlaintextSecrets,
        p.content.plaintext_secret.as_ref(),
        "no secret is held in plain text",
    ));
    out.push(answer(
        C::PipelineNoPersonalData,
        p.content.personal_data.as_ref(),
        "no e-mail address in names or tags",
    ));
    out.push(every_store(
        p,
        C::PipelineCustomerManagedKey,
        |_, _, key| match key {
            None => (Status::Fail, "uses the AWS managed key aws/s3".into()),
            Some(key) => cmk(key, p, inventory, from),
        },
    ));
    out.push(super::grants::check(p, inventory, from));
}

/// A content answer: no problem passes, a described problem fails, an unreadable value is
/// UNKNOWN.
fn answer(control: C, found: Fact<&Option<Box<str>>>, pass: &'static str) -> Outcome {
    match found {
        Fact::Known(None) => Outcome::new(control, Status::Pass, pass),
        Fact::Known(Some(problem)) => Outcome::new(control, Status::Fail, problem.to_string()),
        Fact::Unknown(why) => Outcome::new(control, Status::Unknown, why.to_string()),
    }
}

/// Applies a per-store test (type, bucket, key) to every store; the worst result wins and the
/// first store with that result is named.
fn every_store(
    p: &PipelineFacts,
    control: C,
    test: impl Fn(&str, &str, Option<&StoreKey>) -> (Status, Cow<'static, str>),
) -> Outcome {
    let mut status = Status::Pass;
    let mut detail: Cow<'static, str> = Cow::Borrowed("every artifact store passes");
    for store in &p.stores {
        let (s, d) = test(
            &store.store_type,
            &store.location,
            store.encryption_key.as_ref(),
        );
        if s != Status::Pass && status.and(s) != status {
            status = status.and(s);
            detail = Cow::Owned(format!("artifact store {}: {d}", store.location));
        }
    }
    Outcome::new(control, status, detail)
}

/// Is a store key customer managed? A key ARN in another account always is: AWS managed keys
/// cannot be shared across accounts.
fn cmk(
    key: &StoreKey,
    p: &PipelineFacts,
    inventory: &Inventory,
    from: Place<'_>,
) -> (Status, Cow<'static, str>) {
    if let (Some(key_account), Some(own)) = (key.key.account(), p.account_id.as_deref()) {
        if key_account != own && !key.key.is_aws_managed_s3_alias() {
            return (
                Status::Pass,
                format!(
                    "{} is in account {key_account}, so customer managed",
                    key.key
                )
                .into(),
            );
        }
    }
    let (status, detail) = customer_managed(&inventory.key(&key.key, from));
    (status, detail.into())
}

fn cross_account_cmk(p: &PipelineFacts, inventory: &Inventory, from: Place<'_>) -> Outcome {
    let foreign = match &p.foreign_roles {
        Fact::Unknown(why) => {
            return Outcome::new(C::PipelineCrossAccountCmk, Status::Unknown, why.to_string())
        }
        Fact::Known(roles) => match roles.first() {
            None => {
                return Outcome::new(
                    C::PipelineCrossAccountCmk,
                    Status::NotApplicable,
                    "no action uses another account's role",
                )
            }
            Some(foreign) => foreign,
        },
    };
    let mut outcome = every_store(p, C::PipelineCrossAccountCmk, |_, _, key| match key {
        None => (
            Status::Fail,
            "uses aws/s3, which another account cannot use".into(),
        ),
        Some(key) => cmk(key, p, inventory, from),
    });
    if outcome.status != Status::Pass {
        outcome.detail = Cow::Owned(format!(
            "action {} uses a role in account {}; {}",
            foreign.action, foreign.account, outcome.detail
        ));
    }
    outcome
}
