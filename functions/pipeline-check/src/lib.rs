//! `pipeline-check`: assesses each pipeline as soon as CloudTrail records its `CreatePipeline`
//! or `UpdatePipeline`, notifies, optionally stops artifacts from flowing through an unprotected
//! pipeline, and serves as a gate action inside pipelines. A library so that the workspace
//! integration tests can drive it against moto; `main.rs` only wires it.

pub mod check;
pub mod event;
pub mod gate;
pub mod handler;
pub mod settings;

#[cfg(test)]
mod tests;
