//! One integration-test binary for the workspace; each module is one area.

mod cli_assess;
