//! Progress of a scan on stderr: a live bar on a terminal (accounts and regions done, resources
//! read, rate, time left), plain lines otherwise (CI logs, files).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    finished: AtomicU64,
    resources: AtomicU64,
    calls: AtomicU64,
}

impl Progress {
    /// Progress over `total` account-and-region sweeps.
    pub fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {bar:30} {pos}/{len} account-regions · {msg} · {per_sec} · {eta} left",
            ) {
                bar.set_style(style);
            }
            bar.set_message("0 resources");
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Self {
            bar,
            total,
            finished: AtomicU64::new(0),
            resources: AtomicU64::new(0),
            calls: AtomicU64::new(0),
        }
    }

    /// One account and region read.
    pub fn done(&self, account: &str, region: &str, resources: usize, calls: u64) {
        let n = self.finished.fetch_add(1, Ordering::Relaxed) + 1;
        let all = self
            .resources
            .fetch_add(resources as u64, Ordering::Relaxed)
            + resources as u64;
        self.calls.fetch_add(calls, Ordering::Relaxed);
        match &self.bar {
            Some(bar) => {
                bar.set_message(format!("{all} resources"));
                bar.inc(1);
            }
            None => eprintln!(
                "artifact-guard: [{n}/{}] {account} {region}: {resources} resources, {calls} AWS calls",
                self.total
            ),
        }
    }

    /// One account and region that could not be read (the reason is reported at the end).
    pub fn failed(&self, account: &str, region: &str) {
        let n = self.finished.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.bar {
            Some(bar) => bar.inc(1),
            None => eprintln!(
                "artifact-guard: [{n}/{}] {account} {region}: not scanned",
                self.total
            ),
        }
    }

    /// The summary line.
    pub fn finish(&self, started: Instant) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!(
            "artifact-guard: read {} resources in {} of {} account-regions in {:.1} s ({} AWS calls)",
            self.resources.load(Ordering::Relaxed),
            self.finished.load(Ordering::Relaxed),
            self.total,
            started.elapsed().as_secs_f64(),
            self.calls.load(Ordering::Relaxed),
        );
    }
}
