//! The CloudFormation Lambda hook: a library so that the workspace integration tests can drive
//! the handler directly and through the Lambda Runtime API; `main.rs` only wires it.

pub mod handler;
pub mod live;
pub mod payload;
pub mod request;

#[cfg(test)]
mod tests;
