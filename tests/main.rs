//! One integration-test binary for the workspace; each module is one area.

// Test code: a failed expectation is the test failing, with the message saying what was expected.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod artifact_store_moto;
mod cli_assess;
mod cli_template;
mod demo_e2e;
mod faults_artifact_store;
mod faults_config_rule;
mod faults_pipeline_check;
mod hostile_input;
mod html_report;
mod iam_policy;
mod live_moto;
mod log_secrets;
mod organization_moto;
mod pipeline_check_moto;
mod template_hook_moto;
mod tls_floor;
