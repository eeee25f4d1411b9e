//! artifact-guard's engine: facts about AWS CodePipeline artifact buckets, KMS keys and
//! pipelines, the controls AWS's guidance implies for them, and their assessment.
//!
//! ```text
//! configuration item / snapshot / live AWS ──► facts ──► controls ──► Evaluation (Config shape)
//! ```
//! Evaluation is pure: no I/O below [`assess::snapshot`], which only reads a stream. Modules
//! depend one way (policy → facts → controls → assess; `live` and `aws` above them), which a
//! test checks.

pub mod assess;
pub mod aws;
pub mod controls;
pub mod facts;
pub mod live;
pub mod logging;
pub mod policy;
pub mod quote;
pub mod store;
pub mod template;

pub use assess::{
    Assessor, Compliance, Evaluation, Inventory, Place, RuleParameters, Scope, ScopeIndex,
};
pub use controls::{ControlId, Finding, Status};

#[cfg(test)]
mod layers_tests;
