//! The `Custom::EncryptedArtifactStore` CloudFormation custom resource: a library so that the
//! workspace integration tests can drive the handler against moto with a real HTTP endpoint and
//! exact deadlines; `main.rs` only wires it into the Lambda runtime.

pub mod handler;
pub mod http;
pub mod policy;
pub mod provision;
pub mod request;
pub mod response;
pub mod spec;

#[cfg(test)]
mod tests;
