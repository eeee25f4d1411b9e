//! `gen-snapshot OUT BYTES [MIX [ACCOUNTS]]`: writes a generated Config snapshot of about BYTES
//! bytes (e.g. `1G`). MIX `standard` (the default) has the standard proportions of buckets, keys,
//! pipelines and skipped resources; `artifacts` has buckets, keys and pipelines only, the most
//! resources a gigabyte can hold (issue 14's memory target: about 520,000 of them). ACCOUNTS
//! (default 1) spreads them over that many accounts, each referring only to its own keys and
//! buckets, as an organization's snapshots do.

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

use artifact_guard_bench::{write_snapshot, Shape};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(size)) = (args.get(1), args.get(2)) else {
        eprintln!(
            "usage: gen-snapshot OUT BYTES [standard|artifacts [ACCOUNTS]]   (BYTES may end in K, M or G)"
        );
        return ExitCode::from(2);
    };
    let accounts = match args.get(4).map(|a| a.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            eprintln!("gen-snapshot: ACCOUNTS must be a whole number of at least 1");
            return ExitCode::from(2);
        }
    };
    let others_per_unit = match args.get(3).map(String::as_str) {
        None | Some("standard") => 25,
        Some("artifacts") => 0,
        Some(other) => {
            eprintln!("gen-snapshot: mix {other:?} is neither standard nor artifacts");
            return ExitCode::from(2);
        }
    };
    let Some(bytes) = parse_size(size) else {
        eprintln!("gen-snapshot: {size:?} is not a size such as 1G or 500M");
        return ExitCode::from(2);
    };
    // Measured average item sizes of the generator: bucket ~2.7 KB, key ~1.15 KB, pipeline
    // ~3.45 KB, security group ~1.35 KB. About 43% of the bytes are other resource types, as in
    // a real account's snapshot, where artifact resources are a minority of what Config records.
    let unit = 10 * 2_700 + 10 * 1_150 + 2 * 3_450 + others_per_unit * 1_350;
    let n = usize::try_from(bytes / unit).unwrap_or(usize::MAX).max(1);
    let others_per_unit = usize::try_from(others_per_unit).unwrap_or(0);
    let shape = Shape {
        buckets: 10 * n,
        keys: 10 * n,
        pipelines: 2 * n,
        others: others_per_unit * n,
        accounts,
    };
    let result = File::create(out).and_then(|f| {
        let mut w = BufWriter::with_capacity(1 << 20, f);
        write_snapshot(&shape, 7, &mut w)?;
        std::io::Write::flush(&mut w)
    });
    match result {
        Ok(()) => {
            eprintln!("wrote {out}: {shape:?}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-snapshot: {out}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let n: u64 = digits.parse().ok()?;
    let scale = match unit.to_ascii_uppercase().as_str() {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(scale)
}
