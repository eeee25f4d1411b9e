//! `--format html` in a real browser: Debian's Chromium, headless, loads the page from a file
//! with the network closed to it; the test reads the DOM after the page's script has drawn it.
//! The page renders, its counts match the JSON report of the same run, and a filter (from the
//! address's fragment, as the page's controls set it) narrows everything to one account.

use std::path::Path;
use std::process::Command;

use artifact_guard_tests::{artifact_guard, run};
use serde_json::Value;

use crate::cli_assess::{organization_folder, scratch};

const MEMBER: &str = "444455556666";

/// The DOM of `page` (with `fragment`) after its scripts ran, from headless Chromium.
fn rendered(page: &Path, fragment: &str, profile: &Path) -> String {
    let url = format!("file://{}{fragment}", page.display());
    let out = run(
        Command::new("chromium").args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=5000",
            "--dump-dom",
            &url,
        ]),
        None,
    );
    assert!(
        out.status.success(),
        "chromium failed (is Debian's chromium installed? `make test` installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of the element with `id`.
fn text_of(dom: &str, id: &str) -> String {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let open = start + dom[start..].find('>').expect("a tag end") + 1;
    let close = open + dom[open..].find('<').expect("a closing tag");
    dom[open..close].to_owned()
}

fn count(evaluations: &[Value], compliance: &str, account: Option<&str>) -> usize {
    evaluations
        .iter()
        .filter(|e| compliance.is_empty() || e["ComplianceType"] == compliance)
        .filter(|e| account.is_none_or(|a| e["AccountId"] == a))
        .count()
}

#[test]
fn the_html_report_renders_in_chromium_with_the_json_counts_and_filters() {
    let snapshots = organization_folder("html-report");
    let dir = scratch("html-report-out");
    let snapshot_arg = snapshots.to_string_lossy().into_owned();
    let json = artifact_guard(
        &["assess", "--snapshot", &snapshot_arg, "--format", "json"],
        None,
    );
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON report");
    let evaluations = report["evaluations"]
        .as_array()
        .expect("evaluations")
        .clone();
    let html = artifact_guard(
        &["assess", "--snapshot", &snapshot_arg, "--format", "html"],
        None,
    );
    assert_eq!(html.status.code(), json.status.code(), "same exit status");
    let page = dir.join("report.html");
    std::fs::write(&page, &html.stdout).expect("write the page");
    let source = String::from_utf8_lossy(&html.stdout);
    // Self-contained: nothing to fetch.
    for reference in ["src=\"http", "href=\"http", "src='http", "@import", "url("] {
        assert!(!source.contains(reference), "the page fetches {reference}");
    }

    let dom = rendered(&page, "", &dir.join("profile"));
    assert!(
        dom.contains("data-ready=\"true\""),
        "the script ran to the end"
    );
    let all = |c: &str| count(&evaluations, c, None).to_string();
    assert_eq!(text_of(&dom, "count-resources"), all(""));
    assert_eq!(text_of(&dom, "count-noncompliant"), all("NON_COMPLIANT"));
    assert_eq!(text_of(&dom, "count-compliant"), all("COMPLIANT"));
    assert_eq!(text_of(&dom, "count-na"), all("NOT_APPLICABLE"));
    assert_eq!(text_of(&dom, "count-accounts"), "2");
    assert_eq!(
        dom.matches("<tr data-account=").count(),
        2,
        "a grid row per account"
    );
    assert_eq!(
        dom.matches("class=\"resource ").count(),
        evaluations.len(),
        "every resource listed"
    );

    let filtered = rendered(&page, &format!("#account={MEMBER}"), &dir.join("profile"));
    let member = |c: &str| count(&evaluations, c, Some(MEMBER)).to_string();
    assert_eq!(text_of(&filtered, "count-resources"), member(""));
    assert_eq!(
        text_of(&filtered, "count-noncompliant"),
        member("NON_COMPLIANT")
    );
    assert_eq!(text_of(&filtered, "count-accounts"), "1");
    assert_eq!(filtered.matches("<tr data-account=").count(), 1);
    let listed = filtered.matches("class=\"resource ").count();
    assert_eq!(listed.to_string(), member(""));
    assert_eq!(
        filtered
            .matches(&format!("data-account=\"{MEMBER}\""))
            .count(),
        listed + 1,
        "only the member's resources (and its grid row)"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&snapshots);
}
