//! `artifact-guard`: the engine on the command line.
//!
//! Exit codes: 0 nothing NON_COMPLIANT, 1 something NON_COMPLIANT, 2 bad usage or unreadable
//! input (the message names the file, the item and the field).

mod assess;
mod report;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

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
    let result = match cli.command {
        Command::Assess(args) => {
            let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
                Format::Table
            } else {
                Format::Json
            });
            assess::run(&args.snapshot, args.parameters.as_deref(), format)
        }
    };
    match result {
        Ok(assess::Outcome { non_compliant: 0 }) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(UsageError(message)) => {
            eprintln!("artifact-guard: error: {message}");
            ExitCode::from(2)
        }
    }
}
