//! What is known about an account in one region: its CloudTrail trails, the VPCs its build
//! projects run in and the CodePipeline endpoints there, Macie, and the root user's MFA. The
//! account is reported as `AWS::::Account` with the account id, as AWS's own account-level
//! rules are.
//!
//! The facts arrive in pieces: AWS Config records trails, VPC endpoints and CodeBuild projects as
//! resources of their own ([`ACCOUNT_PART_TYPES`]), and each such item becomes an account fact
//! holding that one piece; [`AccountFacts::absorb`] joins the pieces of one account and region.
//! A list no piece has reached stays unknown: a snapshot without VPC endpoint items may come
//! from a recorder that does not record them, which is not the same as having none.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Fact;

/// The AWS Config resource types that carry pieces of an account's facts.
pub const ACCOUNT_PART_TYPES: [&str; 3] = [
    "AWS::CloudTrail::Trail",
    "AWS::EC2::VPCEndpoint",
    "AWS::CodeBuild::Project",
];

/// A CloudTrail trail as far as the account's controls care.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    /// The trail's name (or ARN, for an organization trail seen from a member account).
    pub name: Box<str>,
    /// `IsMultiRegionTrail`.
    pub multi_region: bool,
    /// `IsOrganizationTrail`.
    pub organization: bool,
    /// `GetTrailStatus`'s `IsLogging`; AWS Config does not record it.
    pub logging: Fact<bool>,
    /// Whether its event selectors record management write events (`ReadWriteType` `All` or
    /// `WriteOnly` with management events included, or advanced selectors that include them).
    pub records_management_writes: Fact<bool>,
    /// `LogFileValidationEnabled`.
    pub log_file_validation: bool,
    /// `KmsKeyId`: the key that encrypts its log files (SSE-KMS), if any.
    pub kms_key: Option<Box<str>>,
}

/// An interface VPC endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpoint {
    /// `vpce-…`.
    pub id: Box<str>,
    /// The VPC it is in.
    pub vpc_id: Box<str>,
    /// `com.amazonaws.REGION.SERVICE`.
    pub service_name: Box<str>,
    /// `VpcEndpointType` is `Interface`.
    pub interface: bool,
    /// `State` is `available`.
    pub available: bool,
    /// `PrivateDnsEnabled`.
    pub private_dns: bool,
}

impl VpcEndpoint {
    /// Does it reach CodePipeline (`com.amazonaws.REGION.codepipeline`, or its FIPS variant)?
    pub fn reaches_codepipeline(&self) -> bool {
        let service = self.service_name.rsplit('.').next().unwrap_or("");
        matches!(service, "codepipeline" | "codepipeline-fips")
    }
}

/// A resource that pipeline actions run inside a VPC (a CodeBuild project with a `vpcConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcAttachment {
    /// What it is, e.g. `CodeBuild project build-app`.
    pub resource: Box<str>,
    /// The VPC it runs in.
    pub vpc_id: Box<str>,
}

/// What is known about an account in one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFacts {
    /// The trails that apply here: the account's own (every region's multi-region trails) and
    /// organization trails.
    pub trails: Fact<Vec<Trail>>,
    /// Interface endpoints in the account's VPCs.
    pub endpoints: Fact<Vec<VpcEndpoint>>,
    /// Build projects (and other action resources) attached to VPCs.
    pub vpc_attachments: Fact<Vec<VpcAttachment>>,
    /// Macie's status in the region is `ENABLED`.
    pub macie_enabled: Fact<bool>,
    /// The root user has MFA (`AccountMFAEnabled`).
    pub root_mfa: Fact<bool>,
}

impl AccountFacts {
    /// The facts of an account before any piece is known: everything unknown, each with why.
    pub fn from_config() -> Self {
        Self {
            trails: Fact::unknown("AWS Config recorded no AWS::CloudTrail::Trail item for this account and region (is the recorder recording trails?)"),
            endpoints: Fact::unknown("AWS Config recorded no AWS::EC2::VPCEndpoint item for this account and region (is the recorder recording VPC endpoints?)"),
            vpc_attachments: Fact::unknown("AWS Config recorded no AWS::CodeBuild::Project item for this account and region (is the recorder recording CodeBuild projects?)"),
            macie_enabled: Fact::unknown("AWS Config does not record Macie's status; artifact-guard scan and the Config rule's sweep read it (macie2:GetMacieSession)"),
            root_mfa: Fact::unknown("AWS Config does not record the root user's MFA; artifact-guard scan and the Config rule's sweep read it (iam:GetAccountSummary)"),
        }
    }

    /// Joins the pieces of `other` (the same account and region) into these facts. A piece with
    /// the id of one already held replaces it (the later item wins, as for every resource).
    pub fn absorb(&mut self, other: AccountFacts) {
        join(&mut self.trails, other.trails, |a, b| a.name == b.name);
        join(&mut self.endpoints, other.endpoints, |a, b| a.id == b.id);
        join(&mut self.vpc_attachments, other.vpc_attachments, |a, b| {
            a.resource == b.resource
        });
        if let Fact::Known(_) = other.macie_enabled {
            self.macie_enabled = other.macie_enabled;
        }
        if let Fact::Known(_) = other.root_mfa {
            self.root_mfa = other.root_mfa;
        }
    }

    /// The facts one configuration item of an [`ACCOUNT_PART_TYPES`] type holds: `deleted`
    /// items (and items of a type no longer recorded) say only that the type is recorded.
    pub(crate) fn from_item(
        resource_type: &str,
        id: &str,
        configuration: Result<Map<String, Value>, Box<str>>,
        deleted: bool,
    ) -> Self {
        let mut facts = Self::from_config();
        let configuration = match (deleted, configuration) {
            (true, _) => Ok(None),
            (false, Ok(c)) => Ok(Some(c)),
            (false, Err(reason)) => Err(format!("{resource_type} {id}: {reason}")),
        };
        match resource_type {
            "AWS::CloudTrail::Trail" => {
                facts.trails = piece(configuration, |c| trail(id, c));
            }
            "AWS::EC2::VPCEndpoint" => {
                facts.endpoints = piece(configuration, |c| endpoint(id, c));
            }
            _ => {
                facts.vpc_attachments = piece(configuration, |c| project(id, c));
            }
        }
        facts
    }
}

/// The reasons of lists that no piece has reached yet start with this.
const UNSEEN: &str = "AWS Config recorded no";

fn join<T>(into: &mut Fact<Vec<T>>, from: Fact<Vec<T>>, same: impl Fn(&T, &T) -> bool) {
    let unseen = |f: &Fact<Vec<T>>| matches!(f, Fact::Unknown(r) if r.starts_with(UNSEEN));
    if unseen(&from) {
        return;
    }
    if unseen(into) {
        *into = from;
        return;
    }
    match (into, from) {
        // A piece that could not be read leaves the list unknown, whatever else is known.
        (Fact::Unknown(_), _) => {}
        (into @ Fact::Known(_), unread @ Fact::Unknown(_)) => *into = unread,
        (Fact::Known(list), Fact::Known(more)) => {
            for item in more {
                match list.iter_mut().find(|held| same(held, &item)) {
                    Some(held) => *held = item,
                    None => list.push(item),
                }
            }
        }
    }
}

/// One item's piece: an empty known list for a deleted item, the item for a readable one.
fn piece<T>(
    configuration: Result<Option<Map<String, Value>>, String>,
    read: impl FnOnce(&Map<String, Value>) -> Option<T>,
) -> Fact<Vec<T>> {
    match configuration {
        Err(reason) => Fact::unknown(reason),
        Ok(None) => Fact::Known(Vec::new()),
        Ok(Some(c)) => Fact::Known(read(&c).into_iter().collect()),
    }
}

fn text<'a>(c: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    c.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn flag(c: &Map<String, Value>, field: &str) -> bool {
    match c.get(field) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn trail(id: &str, c: &Map<String, Value>) -> Option<Trail> {
    // Config records the trail's settings, not whether it is logging, nor its selectors: with
    // no custom selectors a trail records every management event (CloudTrail's default).
    let records_management_writes = if flag(c, "hasCustomEventSelectors") {
        Fact::unknown("the trail has custom event selectors, which AWS Config does not record; artifact-guard scan reads them (cloudtrail:GetEventSelectors)")
    } else {
        Fact::Known(true)
    };
    Some(Trail {
        name: text(c, "name").unwrap_or(id).into(),
        multi_region: flag(c, "isMultiRegionTrail"),
        organization: flag(c, "isOrganizationTrail"),
        logging: Fact::unknown("AWS Config does not record whether a trail is logging; artifact-guard scan and the Config rule's sweep read it (cloudtrail:GetTrailStatus)"),
        records_management_writes,
        log_file_validation: flag(c, "logFileValidationEnabled"),
        kms_key: text(c, "kmsKeyId").map(Into::into),
    })
}

fn endpoint(id: &str, c: &Map<String, Value>) -> Option<VpcEndpoint> {
    // `state` is a string in EC2's answers and `{"value": …}` in some recorded items.
    let state = match c.get("state") {
        Some(Value::Object(o)) => o.get("value").and_then(Value::as_str),
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    };
    Some(VpcEndpoint {
        id: text(c, "vpcEndpointId").unwrap_or(id).into(),
        vpc_id: text(c, "vpcId")?.into(),
        service_name: text(c, "serviceName")?.into(),
        interface: text(c, "vpcEndpointType").is_some_and(|t| t.eq_ignore_ascii_case("Interface")),
        available: state.is_some_and(|s| s.eq_ignore_ascii_case("available")),
        private_dns: flag(c, "privateDnsEnabled"),
    })
}

fn project(id: &str, c: &Map<String, Value>) -> Option<VpcAttachment> {
    let vpc_id = c
        .get("vpcConfig")
        .and_then(Value::as_object)
        .and_then(|v| text(v, "vpcId"))?;
    Some(VpcAttachment {
        resource: format!("CodeBuild project {}", text(c, "name").unwrap_or(id)).into(),
        vpc_id: vpc_id.into(),
    })
}

/// A trail's basic event selector, as far as management events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSelector {
    /// `ReadWriteType`: `All` (the default), `ReadOnly` or `WriteOnly`.
    pub read_write_type: Option<String>,
    /// `IncludeManagementEvents` (default true).
    pub include_management_events: Option<bool>,
    /// `ExcludeManagementEventSources`, e.g. `kms.amazonaws.com`.
    pub excluded_sources: Vec<String>,
}

/// One field selector of an advanced event selector.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    /// `Field`, e.g. `eventCategory`, `readOnly`, `eventSource`.
    pub field: String,
    /// `Equals`.
    pub equals: Vec<String>,
    /// `NotEquals`.
    pub not_equals: Vec<String>,
    /// Whether any of `StartsWith`, `EndsWith`, `NotStartsWith`, `NotEndsWith` is set.
    pub patterns: bool,
}

/// The event sources whose management events must be recorded: pipeline and key changes.
const WATCHED_SOURCES: [&str; 2] = ["codepipeline.amazonaws.com", "kms.amazonaws.com"];

/// Do a trail's selectors record every management write event of CodePipeline and KMS? An
/// event is logged when any selector matches it; an advanced selector matches when all its
/// field selectors do. A field artifact-guard cannot judge makes that selector undecided:
/// `Known(true)` only when some selector certainly records them.
pub fn records_management_writes(
    basic: &[EventSelector],
    advanced: &[Vec<FieldSelector>],
) -> Fact<bool> {
    if basic.is_empty() && advanced.is_empty() {
        // No selectors: CloudTrail's default records all management events.
        return Fact::Known(true);
    }
    let basic_records = basic.iter().any(|s| {
        s.include_management_events.unwrap_or(true)
            && matches!(
                s.read_write_type.as_deref().unwrap_or("All"),
                "All" | "WriteOnly"
            )
            && !s
                .excluded_sources
                .iter()
                .any(|e| WATCHED_SOURCES.contains(&e.as_str()))
    });
    if basic_records {
        return Fact::Known(true);
    }
    let mut undecided = None;
    for (at, selector) in advanced.iter().enumerate() {
        match advanced_records(selector) {
            Fact::Known(true) => return Fact::Known(true),
            Fact::Known(false) => {}
            Fact::Unknown(r) => {
                undecided.get_or_insert_with(|| format!("advanced event selector {at}: {r}"));
            }
        }
    }
    match undecided {
        Some(reason) => Fact::unknown(reason),
        None => Fact::Known(false),
    }
}

fn advanced_records(fields: &[FieldSelector]) -> Fact<bool> {
    let mut management = false;
    for f in fields {
        let equals = |v: &str| f.equals.iter().any(|e| e == v);
        let not_equals = |v: &str| f.not_equals.iter().any(|e| e == v);
        if f.patterns {
            return Fact::unknown(format!("field {} uses patterns", f.field));
        }
        match f.field.as_str() {
            "eventCategory" => {
                if !(f.equals.is_empty() || equals("Management")) || not_equals("Management") {
                    return Fact::Known(false);
                }
                management = true;
            }
            "readOnly" => {
                // Write events have readOnly false.
                let writes = (f.equals.is_empty() || equals("false")) && !not_equals("false");
                if !writes {
                    return Fact::Known(false);
                }
            }
            "eventSource" => {
                let watched_kept = WATCHED_SOURCES
                    .iter()
                    .all(|s| (f.equals.is_empty() || equals(s)) && !not_equals(s));
                if !watched_kept {
                    return Fact::Known(false);
                }
            }
            other => return Fact::unknown(format!("field {other} is not judged")),
        }
    }
    Fact::Known(management)
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
