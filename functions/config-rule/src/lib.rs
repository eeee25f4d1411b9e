//! `config-rule`: artifact-guard's AWS Config custom rule. A library so that the workspace
//! integration tests (moto, the fault proxy) and the fuzz targets can drive the handler and the
//! event parser; `main.rs` only wires it.

pub mod error;
pub mod event;
pub mod handler;
pub mod report;
pub mod settings;

#[cfg(test)]
mod tests;
