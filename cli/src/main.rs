//! `artifact-guard`: the engine on the command line.
//!
//! Exit codes: 0 nothing NON_COMPLIANT, 1 something NON_COMPLIANT, 2 bad usage or unreadable
//! input (the message names the file, the item and the field).

mod assess;
mod report;
mod scan;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use artifact_guard::logging;
use clap::{Parser, Subcommand, ValueEnum};

/// Checks that AWS CodePipeline artifact stores, their KMS keys and pipelines are protected.
#[derive(Debug, Parser)]
#[command(name = "artifact-guard", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Assess an AWS Config snapshot (or configuration history) file.
    Assess(AssessArgs),
    /// Assess a live account: every pipeline, its stores' buckets and keys, and tagged stores.
    Scan(ScanArgs),
}

#[derive(Debug, clap::Args)]
struct ScanArgs {
    /// AWS region [default: from the environment or profile].
    #[arg(long)]
    region: Option<String>,
    /// Named profile from the AWS config and credentials files.
    #[arg(long)]
    profile: Option<String>,
    /// Send every AWS request to this endpoint (a local emulator, a VPC endpoint).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Rule parameters as AWS Config InputParameters JSON, or `@FILE`.
    #[arg(long, value_name = "JSON")]
    parameters: Option<String>,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Reads in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
}

#[derive(Debug, clap::Args)]
struct AssessArgs {
    /// Snapshot file (JSON, or gzip-compressed JSON); `-` reads standard input.
    #[arg(long, value_name = "FILE|-")]
    snapshot: PathBuf,
    /// Rule parameters as AWS Config InputParameters JSON, e.g. '{"scope":"all"}';
    /// `@FILE` reads them from a file.
    #[arg(long, value_name = "JSON")]
    parameters: Option<String>,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// An aligned report with a summary line.
    Table,
    /// `{"evaluations": [...]}`, one Config Evaluation (plus Score and Findings) per resource.
    Json,
}

/// A failure that ends the run with exit code 2.
#[derive(Debug)]
struct UsageError(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Warnings (a fallback from AWS Config to S3, a tag that could not be read) go to stderr;
    // RUST_LOG=artifact_guard=debug shows more. Coloured only on a terminal without NO_COLOR.
    let settings =
        logging::LogSettings::for_cli(|k| std::env::var(k).ok(), std::io::stderr().is_terminal());
    logging::init(&settings, std::io::stderr);
    let default_format = || {
        if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        }
    };
    let result = match cli.command {
        Command::Assess(args) => assess::run(
            &args.snapshot,
            args.parameters.as_deref(),
            args.format.unwrap_or_else(default_format),
        ),
        Command::Scan(args) => {
            let target = scan::Target {
                region: args.region.as_deref(),
                profile: args.profile.as_deref(),
                endpoint_url: args.endpoint_url.as_deref(),
                concurrency: usize::from(args.concurrency),
            };
            scan::run(
                &target,
                args.parameters.as_deref(),
                args.format.unwrap_or_else(default_format),
            )
        }
    };
    match result {
        Ok(report::Outcome { non_compliant: 0 }) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(UsageError(message)) => {
            eprintln!("artifact-guard: error: {message}");
            ExitCode::from(2)
        }
    }
}
