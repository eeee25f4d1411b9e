//! `artifact-guard`: the engine on the command line.
//!
//! Exit codes: 0 nothing NON_COMPLIANT, 1 something NON_COMPLIANT, 2 bad usage or unreadable
//! input (the message names the file, the item and the field), 3 some account or region could
//! not be scanned (the report lists it with the reason; whatever was read is reported).

mod assess;
mod html;
mod progress;
mod report;
mod sarif;
mod scan;
mod template;

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
    /// Assess AWS Config snapshot (or configuration history) files of one or many accounts.
    Assess(AssessArgs),
    /// Assess live accounts: every pipeline, its stores' buckets and keys, and tagged stores.
    Scan(ScanArgs),
    /// Judge the stores, keys and pipelines of CloudFormation templates before they are
    /// deployed (JSON or YAML, SAM included).
    CheckTemplate(CheckTemplateArgs),
}

#[derive(Debug, clap::Args)]
struct CheckTemplateArgs {
    /// Template files.
    #[arg(value_name = "TEMPLATE", required = true)]
    templates: Vec<PathBuf>,
    /// Parameter values, `KEY=VALUE[,KEY=VALUE…]`, or `@FILE` (the JSON of `aws cloudformation
    /// --parameters`, or `{"Parameters": {…}}`); pseudo parameters too (`AWS::AccountId=…`).
    /// Without a value, a parameter's Default is used; with neither, what depends on it is
    /// UNKNOWN.
    #[arg(long, value_name = "KEY=VALUE,…|@FILE")]
    parameters: Option<String>,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    format: Option<template::TemplateFormat>,
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
    /// Reads in flight at once, per account and region.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Scan other accounts through this IAM role (the member template's
    /// `artifact-guard-execution`), assumed in each with the caller's credentials.
    #[arg(long, value_name = "NAME", requires = "which_accounts")]
    role_name: Option<String>,
    /// Every ACTIVE account of the organization (run from the management account or a
    /// delegated administrator).
    #[arg(long, group = "which_accounts", requires = "role_name")]
    organization: bool,
    /// These accounts (12-digit ids, comma-separated).
    #[arg(
        long,
        value_name = "ID[,ID…]",
        value_delimiter = ',',
        group = "which_accounts",
        requires = "role_name"
    )]
    accounts: Vec<String>,
    /// Regions to scan in each account (comma-separated) [default: --region's].
    #[arg(long, value_name = "R[,R…]", value_delimiter = ',')]
    regions: Vec<String>,
    /// Account-regions scanned at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    account_concurrency: u16,
}

#[derive(Debug, clap::Args)]
struct AssessArgs {
    /// Snapshot file (JSON, or gzip-compressed JSON), or a directory read recursively for
    /// `*.json` and `*.json.gz` (AWS Config's delivery folders: one snapshot per account and
    /// region); `-` reads standard input. Repeat for more. Each resource is judged within its
    /// own account and region; the newest item of a resource wins.
    #[arg(long, value_name = "PATH|-", required = true)]
    snapshot: Vec<PathBuf>,
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
    /// `{"evaluations": [...]}`, one Config Evaluation (plus Score and Findings) per resource;
    /// `"notScanned": [...]` when some account or region could not be read.
    Json,
    /// One self-contained page (no network fetches): accounts × controls, the worst first,
    /// each finding with its fix, filters by account, resource type and control.
    Html,
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
        Command::CheckTemplate(args) => template::run(
            &args.templates,
            args.parameters.as_deref(),
            args.format.unwrap_or_else(|| match default_format() {
                Format::Table => template::TemplateFormat::Table,
                _ => template::TemplateFormat::Json,
            }),
        ),
        Command::Scan(args) => scan_target(&args).and_then(|target| {
            scan::run(
                &target,
                args.parameters.as_deref(),
                args.format.unwrap_or_else(default_format),
            )
        }),
    };
    match result {
        Ok(report::Outcome { not_scanned, .. }) if not_scanned > 0 => ExitCode::from(3),
        Ok(report::Outcome {
            non_compliant: 0, ..
        }) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(UsageError(message)) => {
            eprintln!("artifact-guard: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn scan_target(args: &ScanArgs) -> Result<scan::Target<'_>, UsageError> {
    let accounts = match (&args.role_name, args.organization) {
        (None, _) => scan::Accounts::Own,
        (Some(role_name), true) => scan::Accounts::Organization { role_name },
        (Some(role_name), false) => {
            if let Some(bad) = args
                .accounts
                .iter()
                .find(|a| !artifact_guard::live::is_account_id(a))
            {
                return Err(UsageError(format!(
                    "--accounts: {bad:?} is not an account id (12 digits)"
                )));
            }
            // Each account once, in the order given.
            let mut seen = std::collections::HashSet::new();
            let mut ids = args.accounts.clone();
            ids.retain(|id| seen.insert(id.clone()));
            scan::Accounts::Listed { role_name, ids }
        }
    };
    if let Some(name) = &args.role_name {
        // The IAM role name pattern: letters, digits and +=,.@_- , at most 64.
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !valid {
            return Err(UsageError(format!(
                "--role-name: {name:?} is not an IAM role name (letters, digits and +=,.@_-, at most 64)"
            )));
        }
    }
    Ok(scan::Target {
        region: args.region.as_deref(),
        profile: args.profile.as_deref(),
        endpoint_url: args.endpoint_url.as_deref(),
        concurrency: usize::from(args.concurrency),
        account_concurrency: usize::from(args.account_concurrency),
        accounts,
        regions: args.regions.clone(),
    })
}
