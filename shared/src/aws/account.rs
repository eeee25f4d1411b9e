//! The account's own facts: CloudTrail (`DescribeTrails`, then `GetTrailStatus` and
//! `GetEventSelectors` per trail), VPC endpoints and VPC-attached CodeBuild projects from AWS
//! Config (`DescribeConfigurationRecorders`, `ListDiscoveredResources`,
//! `BatchGetResourceConfig`: no EC2 or CodeBuild client), Macie (`GetMacieSession`) and the
//! root user's MFA (IAM `GetAccountSummary`).

use aws_sdk_config::types::{
    ConfigurationRecorder, RecordingStrategyType, ResourceKey, ResourceType,
};
use aws_sdk_iam::types::SummaryKeyType;
use aws_sdk_macie2::types::MacieStatus;

use super::{error_code, source_error, AwsAccount};
use crate::facts::{
    records_management_writes, AccountFacts, EventSelector, Fact, FieldSelector, ResourceFacts,
    Trail,
};
use crate::live::AccountReader;

/// The Config resource types whose items carry the account's VPC pieces.
const VPC_TYPES: [&str; 2] = ["AWS::EC2::VPCEndpoint", "AWS::CodeBuild::Project"];

impl AccountReader for AwsAccount {
    async fn read_account(&self) -> AccountFacts {
        let (trails, vpc, macie_enabled, root_mfa) = futures::join!(
            self.trails(),
            self.vpc_pieces(),
            self.macie_enabled(),
            self.root_mfa()
        );
        let mut facts = vpc;
        facts.trails = trails;
        facts.macie_enabled = macie_enabled;
        facts.root_mfa = root_mfa;
        facts
    }
}

impl AwsAccount {
    /// Every trail that applies in this region (its own, other regions' multi-region trails and
    /// organization trails), each with its status and selectors.
    async fn trails(&self) -> Fact<Vec<Trail>> {
        self.calls.add();
        let listed = match self
            .cloudtrail
            .describe_trails()
            .include_shadow_trails(true)
            .send()
            .await
        {
            Ok(out) => out.trail_list,
            Err(e) => {
                return Fact::unknown(source_error("cloudtrail:DescribeTrails", &e).to_string())
            }
        };
        let mut trails = Vec::new();
        for t in listed.unwrap_or_default() {
            let id = t.trail_arn().or(t.name()).unwrap_or_default().to_owned();
            if id.is_empty() {
                continue;
            }
            let (logging, records) = futures::join!(self.is_logging(&id), self.selectors(&id));
            trails.push(Trail {
                name: id.as_str().into(),
                multi_region: t.is_multi_region_trail().unwrap_or(false),
                organization: t.is_organization_trail().unwrap_or(false),
                logging,
                records_management_writes: records,
                log_file_validation: t.log_file_validation_enabled().unwrap_or(false),
                kms_key: t.kms_key_id().filter(|k| !k.is_empty()).map(Into::into),
            });
        }
        Fact::Known(trails)
    }

    async fn is_logging(&self, trail: &str) -> Fact<bool> {
        self.calls.add();
        match self.cloudtrail.get_trail_status().name(trail).send().await {
            Ok(out) => match out.is_logging() {
                Some(logging) => Fact::Known(logging),
                None => Fact::unknown("cloudtrail:GetTrailStatus answered without IsLogging"),
            },
            Err(e) => Fact::unknown(source_error("cloudtrail:GetTrailStatus", &e).to_string()),
        }
    }

    async fn selectors(&self, trail: &str) -> Fact<bool> {
        self.calls.add();
        let out = match self
            .cloudtrail
            .get_event_selectors()
            .trail_name(trail)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                return Fact::unknown(source_error("cloudtrail:GetEventSelectors", &e).to_string())
            }
        };
        let basic: Vec<EventSelector> = out
            .event_selectors()
            .iter()
            .map(|s| EventSelector {
                read_write_type: s.read_write_type().map(|t| t.as_str().to_owned()),
                include_management_events: s.include_management_events(),
                excluded_sources: s.exclude_management_event_sources().to_vec(),
            })
            .collect();
        let advanced: Vec<Vec<FieldSelector>> = out
            .advanced_event_selectors()
            .iter()
            .map(|s| {
                s.field_selectors()
                    .iter()
                    .map(|f| FieldSelector {
                        field: f.field().to_owned(),
                        equals: f.equals().to_vec(),
                        not_equals: f.not_equals().to_vec(),
                        patterns: !(f.starts_with().is_empty()
                            && f.ends_with().is_empty()
                            && f.not_starts_with().is_empty()
                            && f.not_ends_with().is_empty()),
                    })
                    .collect()
            })
            .collect();
        records_management_writes(&basic, &advanced)
    }

    /// VPC endpoints and build projects, from AWS Config: each recorded type listed, then every
    /// listed resource read in one `BatchGetResourceConfig` (per 100). A type the recorder does
    /// not record stays unknown: an empty listing would otherwise read as "none attached".
    async fn vpc_pieces(&self) -> AccountFacts {
        let mut facts = AccountFacts::from_config();
        self.calls.add();
        let recorders = match self.config.describe_configuration_recorders().send().await {
            Ok(out) => out.configuration_recorders.unwrap_or_default(),
            Err(e) => {
                let reason = source_error("config:DescribeConfigurationRecorders", &e).to_string();
                for resource_type in VPC_TYPES {
                    set_list(&mut facts, resource_type, Err(reason.clone()));
                }
                return facts;
            }
        };
        let mut keys = Vec::new();
        let mut listed = Vec::new();
        for resource_type in VPC_TYPES {
            let outcome = if recorders.iter().any(|r| records(r, resource_type)) {
                self.list_keys(resource_type).await
            } else {
                Err(format!("AWS Config does not record {resource_type} in this region: add it to the configuration recorder's recording group"))
            };
            // A recorded type with no resources is known to be empty.
            match outcome {
                Ok(found) => {
                    keys.extend(found);
                    listed.push(resource_type);
                    set_list(&mut facts, resource_type, Ok(()));
                }
                Err(reason) => set_list(&mut facts, resource_type, Err(reason)),
            }
        }
        if keys.is_empty() {
            return facts;
        }
        let unread = |facts: &mut AccountFacts, reason: String| {
            for resource_type in &listed {
                set_list(facts, resource_type, Err(reason.clone()));
            }
        };
        match self.batch_get_keys(keys).await {
            Ok(items) => {
                for item in items {
                    match item.into_facts() {
                        Ok(Some((_, ResourceFacts::Account(Fact::Known(piece))))) => {
                            facts.absorb(*piece)
                        }
                        Ok(_) => {}
                        Err(e) => unread(&mut facts, format!("config:BatchGetResourceConfig: {e}")),
                    }
                }
            }
            Err(e) => unread(&mut facts, e.to_string()),
        }
        facts
    }

    /// The keys of every recorded resource of `resource_type` (`ListDiscoveredResources`, all
    /// pages), or why they could not be listed.
    async fn list_keys(&self, resource_type: &str) -> Result<Vec<ResourceKey>, String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            self.calls.add();
            let out = self
                .config
                .list_discovered_resources()
                .resource_type(ResourceType::from(resource_type))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| source_error("config:ListDiscoveredResources", &e).to_string())?;
            for id in out
                .resource_identifiers()
                .iter()
                .filter_map(|r| r.resource_id())
            {
                if let Ok(key) = ResourceKey::builder()
                    .resource_type(ResourceType::from(resource_type))
                    .resource_id(id)
                    .build()
                {
                    keys.push(key);
                }
            }
            match out.next_token().filter(|t| !t.is_empty()) {
                Some(next) => token = Some(next.to_owned()),
                None => return Ok(keys),
            }
        }
    }

    async fn macie_enabled(&self) -> Fact<bool> {
        self.calls.add();
        match self.macie2.get_macie_session().send().await {
            Ok(out) => Fact::Known(out.status() == Some(&MacieStatus::Enabled)),
            Err(e) => {
                let error = source_error("macie2:GetMacieSession", &e);
                // Macie answers a region where it was never enabled with AccessDeniedException
                // "Macie is not enabled" (and some emulators with ResourceNotFoundException).
                let not_enabled = match error_code(&e) {
                    Some("ResourceNotFoundException") => true,
                    Some("AccessDeniedException") => {
                        error.message.to_ascii_lowercase().contains("not enabled")
                    }
                    _ => false,
                };
                if not_enabled {
                    Fact::Known(false)
                } else {
                    Fact::unknown(error.to_string())
                }
            }
        }
    }

    async fn root_mfa(&self) -> Fact<bool> {
        self.calls.add();
        match self.iam.get_account_summary().send().await {
            Ok(out) => match out
                .summary_map()
                .and_then(|m| m.get(&SummaryKeyType::AccountMfaEnabled))
            {
                Some(enabled) => Fact::Known(*enabled == 1),
                None => Fact::unknown("iam:GetAccountSummary answered without AccountMFAEnabled"),
            },
            Err(e) => Fact::unknown(source_error("iam:GetAccountSummary", &e).to_string()),
        }
    }
}

/// Sets the list `resource_type` carries: known and empty (pieces are absorbed into it), or
/// unknown with the reason.
fn set_list(facts: &mut AccountFacts, resource_type: &str, state: Result<(), String>) {
    match (resource_type, state) {
        ("AWS::EC2::VPCEndpoint", Ok(())) => facts.endpoints = Fact::Known(Vec::new()),
        ("AWS::EC2::VPCEndpoint", Err(reason)) => facts.endpoints = Fact::unknown(reason),
        (_, Ok(())) => facts.vpc_attachments = Fact::Known(Vec::new()),
        (_, Err(reason)) => facts.vpc_attachments = Fact::unknown(reason),
    }
}

/// Does this recorder record `resource_type`? Service-linked recorders record only for their
/// service, so they do not count.
fn records(recorder: &ConfigurationRecorder, resource_type: &str) -> bool {
    if recorder.service_principal().is_some() {
        return false;
    }
    let Some(group) = recorder.recording_group() else {
        return false;
    };
    let is = |t: &ResourceType| t.as_str() == resource_type;
    let excluded = group
        .exclusion_by_resource_types()
        .is_some_and(|e| e.resource_types().iter().any(is));
    match group.recording_strategy().and_then(|s| s.use_only()) {
        Some(RecordingStrategyType::ExclusionByResourceTypes) => !excluded,
        Some(RecordingStrategyType::InclusionByResourceTypes) => {
            group.resource_types().iter().any(is)
        }
        Some(RecordingStrategyType::AllSupportedResourceTypes) => true,
        _ => (group.all_supported() && !excluded) || group.resource_types().iter().any(is),
    }
}
