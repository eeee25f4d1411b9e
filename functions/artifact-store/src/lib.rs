//! The `Custom::EncryptedArtifactStore` CloudFormation custom resource: a library so that the
//! workspace integration tests can drive the handler against moto with a real HTTP endpoint and
//! exact deadlines; `main.rs` only wires it into the Lambda runtime.

pub mod handler;
pub mod http;
pub mod provision;
pub mod request;
pub mod response;
// The store's specification and policies are the engine's (shared with `check-template`).
pub use artifact_guard::store::{policy, spec};

#[cfg(test)]
mod tests;
