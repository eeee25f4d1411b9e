//! Account controls: the protection around the artifact stores that AWS's CodePipeline
//! data-protection guidance asks of the account itself (API activity logged, CodePipeline
//! reached privately, Macie, root MFA), in one region.

use crate::facts::{AccountFacts, Fact, Trail};

use super::{ControlId as C, Outcome, Status};

pub(crate) fn check(account: &AccountFacts, region: Option<&str>, out: &mut Vec<Outcome>) {
    out.push(cloudtrail(account));
    out.push(cloudtrail_protected(account));
    out.push(codepipeline_endpoint(account, region));
    out.push(switched_on(
        C::AccountMacie,
        &account.macie_enabled,
        "Amazon Macie is enabled in the region",
        "Amazon Macie is not enabled in the region",
    ));
    out.push(switched_on(
        C::AccountRootMfa,
        &account.root_mfa,
        "the root user has MFA",
        "the root user has no MFA device",
    ));
}

/// Does `trail` record the account's pipeline and key changes? `Known(true)` only when every
/// part is known to hold.
fn records_activity(trail: &Trail) -> Fact<bool> {
    if !trail.multi_region {
        return Fact::Known(false);
    }
    match (&trail.logging, &trail.records_management_writes) {
        (Fact::Known(false), _) | (_, Fact::Known(false)) => Fact::Known(false),
        (Fact::Known(true), Fact::Known(true)) => Fact::Known(true),
        (Fact::Unknown(r), _) | (_, Fact::Unknown(r)) => Fact::Unknown(r.clone()),
    }
}

fn what_is_missing(trail: &Trail) -> String {
    let mut missing = Vec::new();
    if !trail.multi_region {
        missing.push("is single-region");
    }
    if trail.logging == Fact::Known(false) {
        missing.push("is not logging");
    }
    if trail.records_management_writes == Fact::Known(false) {
        missing.push("records no management write events");
    }
    format!("trail {} {}", trail.name, missing.join(", "))
}

fn cloudtrail(account: &AccountFacts) -> Outcome {
    let outcome = |status, detail: String| Outcome::new(C::AccountCloudtrail, status, detail);
    let trails = match &account.trails {
        Fact::Known(t) => t,
        Fact::Unknown(r) => return outcome(Status::Unknown, r.to_string()),
    };
    if let Some(t) = trails
        .iter()
        .find(|t| records_activity(t) == Fact::Known(true))
    {
        let kind = if t.organization {
            "organization trail"
        } else {
            "trail"
        };
        return outcome(
            Status::Pass,
            format!(
                "{kind} {} is logging management write events in every region",
                t.name
            ),
        );
    }
    if let Some((t, reason)) = trails.iter().find_map(|t| match records_activity(t) {
        Fact::Unknown(r) => Some((t, r)),
        Fact::Known(_) => None,
    }) {
        return outcome(Status::Unknown, format!("trail {}: {reason}", t.name));
    }
    if trails.is_empty() {
        return outcome(
            Status::Fail,
            "no CloudTrail trail applies to this account and region".into(),
        );
    }
    let each: Vec<String> = trails.iter().map(what_is_missing).collect();
    outcome(
        Status::Fail,
        format!(
            "no trail records every region's management write events: {}",
            each.join("; ")
        ),
    )
}

/// Is the trail that records the account's activity protected? Judged on the trails that (may)
/// record it: one that certainly records it and is protected passes.
fn cloudtrail_protected(account: &AccountFacts) -> Outcome {
    let outcome =
        |status, detail: String| Outcome::new(C::AccountCloudtrailProtected, status, detail);
    let trails = match &account.trails {
        Fact::Known(t) => t,
        Fact::Unknown(r) => return outcome(Status::Unknown, r.to_string()),
    };
    let protected = |t: &Trail| t.kms_key.is_some() && t.log_file_validation;
    let recording: Vec<(&Trail, Fact<bool>)> = trails
        .iter()
        .map(|t| (t, records_activity(t)))
        .filter(|(_, r)| *r != Fact::Known(false))
        .collect();
    if let Some((t, _)) = recording
        .iter()
        .find(|(t, r)| *r == Fact::Known(true) && protected(t))
    {
        return outcome(
            Status::Pass,
            format!(
                "trail {}: log files are SSE-KMS encrypted and validated",
                t.name
            ),
        );
    }
    if let Some((t, r)) = recording.iter().find(|(t, _)| protected(t)) {
        let reason = match r {
            Fact::Unknown(r) => r.to_string(),
            Fact::Known(_) => String::new(),
        };
        return outcome(
            Status::Unknown,
            format!("trail {} is protected, but whether it records the account's activity is unknown: {reason}", t.name),
        );
    }
    let Some((t, _)) = recording.first() else {
        return outcome(
            Status::Fail,
            "no trail records the account's activity (see account-cloudtrail)".into(),
        );
    };
    let mut missing = Vec::new();
    if t.kms_key.is_none() {
        missing.push("its log files are not SSE-KMS encrypted");
    }
    if !t.log_file_validation {
        missing.push("log file validation is off");
    }
    outcome(
        Status::Fail,
        format!("trail {}: {}", t.name, missing.join(", ")),
    )
}

fn codepipeline_endpoint(account: &AccountFacts, region: Option<&str>) -> Outcome {
    let outcome =
        |status, detail: String| Outcome::new(C::AccountCodepipelineEndpoint, status, detail);
    let attachments = match &account.vpc_attachments {
        Fact::Known(a) => a,
        Fact::Unknown(r) => return outcome(Status::Unknown, r.to_string()),
    };
    if attachments.is_empty() {
        return outcome(
            Status::NotApplicable,
            "no build project runs in a VPC".into(),
        );
    }
    let endpoints = match &account.endpoints {
        Fact::Known(e) => e,
        Fact::Unknown(r) => return outcome(Status::Unknown, r.to_string()),
    };
    let service = region.map_or_else(
        || "com.amazonaws.REGION.codepipeline".to_owned(),
        |r| format!("com.amazonaws.{r}.codepipeline"),
    );
    let mut vpcs: Vec<&str> = attachments.iter().map(|a| &*a.vpc_id).collect();
    vpcs.sort_unstable();
    vpcs.dedup();
    let mut lacking = Vec::new();
    for vpc in &vpcs {
        let usable = endpoints.iter().any(|e| {
            &*e.vpc_id == *vpc
                && e.reaches_codepipeline()
                && e.interface
                && e.available
                && e.private_dns
        });
        if !usable {
            let by = attachments
                .iter()
                .find(|a| &*a.vpc_id == *vpc)
                .map_or("", |a| &*a.resource);
            let near = endpoints
                .iter()
                .find(|e| &*e.vpc_id == *vpc && e.reaches_codepipeline());
            let why = match near {
                None => format!("no {service} endpoint"),
                Some(e) if !e.interface => {
                    format!("endpoint {} is not an interface endpoint", e.id)
                }
                Some(e) if !e.available => format!("endpoint {} is not available", e.id),
                Some(e) => format!("endpoint {} has private DNS off", e.id),
            };
            lacking.push(format!("{vpc} (used by {by}): {why}"));
        }
    }
    if lacking.is_empty() {
        outcome(
            Status::Pass,
            format!("every VPC that hosts a build project ({}) has an available {service} interface endpoint with private DNS", vpcs.join(", ")),
        )
    } else {
        outcome(Status::Fail, lacking.join("; "))
    }
}

fn switched_on(control: C, fact: &Fact<bool>, on: &'static str, off: &'static str) -> Outcome {
    match fact {
        Fact::Known(true) => Outcome::new(control, Status::Pass, on),
        Fact::Known(false) => Outcome::new(control, Status::Fail, off),
        Fact::Unknown(r) => Outcome::new(control, Status::Unknown, r.to_string()),
    }
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
