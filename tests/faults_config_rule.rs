//! config-rule under injected faults: the handler with real SDK clients, through the fault proxy,
//! against moto's account from `tests/moto/account.py`. Each case starts from a clean proxy and
//! compares with a run without faults.

use std::collections::BTreeMap;
use std::time::Duration;

use artifact_guard::aws::{AwsAccount, ConfigSink};
use artifact_guard::live::ScopeCache;
use artifact_guard::live::{NoSessions, Session};
use artifact_guard_tests::proxy::{Fault, FaultProxy};
use artifact_guard_tests::{block_on, fault_test_limits, root, sdk_config_at, Moto};
use aws_lambda_events::event::config::ConfigEvent;
use config_rule::error::RuleError;
use config_rule::handler::{handle, Deps, Home, RuleResult};
use serde_json::Value;

struct Rig {
    _moto: Moto,
    proxy: FaultProxy,
    keys: Value,
    deps: Deps<AwsAccount, ConfigSink>,
}

impl Rig {
    fn new() -> Self {
        let moto = Moto::start();
        let keys = moto.create_account();
        let proxy = FaultProxy::start(moto.endpoint.trim_start_matches("http://"));
        let account = AwsAccount::new(&sdk_config_at(&proxy.endpoint(), fault_test_limits()));
        let deps = Deps {
            sink: ConfigSink::new(account.config_client().clone()),
            sources: account,
            scope_cache: ScopeCache::default(),
            concurrency: 4,
            calls: AwsAccount::calls,
            roles: NoSessions::default(),
            session_calls: |session: &Session<AwsAccount, ConfigSink>| session.sources.calls(),
            home: Home::default(),
        };
        Self {
            _moto: moto,
            proxy,
            keys,
            deps,
        }
    }

    fn run(&self, event_file: &str, budget: Duration) -> Result<RuleResult, RuleError> {
        let mut event: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("events/config-rule").join(event_file))
                .expect("event fixture"),
        )
        .expect("JSON");
        event["accountId"] = "123456789012".into();
        let event: ConfigEvent = serde_json::from_value(event).expect("a Config event");
        let deadline = tokio::time::Instant::now() + budget;
        block_on(async { handle(event, deadline, &self.deps).await })
    }

    /// Resource id -> (compliance, annotation) of every evaluation sent to Config and accepted
    /// (the proxy saw `PutEvaluations` answered without a fault).
    fn landed(&self) -> BTreeMap<String, (String, String)> {
        let mut out = BTreeMap::new();
        for seen in self.proxy.seen() {
            if !seen.label.starts_with("config:PutEvaluations") || seen.fault.is_some() {
                continue;
            }
            let body: Value = serde_json::from_slice(&seen.body).expect("PutEvaluations JSON");
            for e in body["Evaluations"].as_array().into_iter().flatten() {
                out.insert(
                    e["ComplianceResourceId"].as_str().unwrap_or("").to_owned(),
                    (
                        e["ComplianceType"].as_str().unwrap_or("").to_owned(),
                        e["Annotation"].as_str().unwrap_or("").to_owned(),
                    ),
                );
            }
        }
        out
    }
}

fn verdicts(result: &RuleResult) -> BTreeMap<String, (String, String)> {
    result
        .evaluations
        .iter()
        .map(|e| {
            (
                e.compliance_resource_id.to_string(),
                (e.compliance_type.as_str().to_owned(), e.annotation.clone()),
            )
        })
        .collect()
}

fn error_type(error: RuleError) -> String {
    lambda_runtime::Diagnostic::from(error).error_type
}

const LONG: Duration = Duration::from_secs(120);

#[test]
fn config_rule_under_faults() {
    let rig = Rig::new();
    let baseline = verdicts(&rig.run("periodic.json", LONG).expect("clean sweep"));
    assert!(baseline.len() >= 8, "{baseline:#?}");
    assert_eq!(
        rig.landed(),
        baseline,
        "a clean sweep lands every evaluation"
    );
    let symmetric = rig.keys["symmetric"].as_str().expect("key id").to_owned();

    // Throttling and 5xx on reads and on PutEvaluations: retried, every evaluation lands.
    rig.proxy.reset();
    rig.proxy
        .inject("kms:DescribeKey", Fault::throttling(), Some(2))
        .inject(
            "codepipeline:GetPipeline",
            Fault::json(503, "ServiceUnavailableException"),
            Some(1),
        )
        .inject("s3:GetBucketPolicy", Fault::slow_down(), Some(2))
        .inject(
            "s3:GetBucketEncryption",
            Fault::s3(500, "InternalError"),
            Some(1),
        )
        .inject(
            "config:PutEvaluations",
            Fault::json(500, "InternalFailure"),
            Some(1),
        );
    let result = rig.run("periodic.json", LONG).expect("retried sweep");
    assert_eq!(verdicts(&result), baseline, "same verdicts after retries");
    assert_eq!(rig.landed(), baseline, "every evaluation landed");
    let faulted = rig
        .proxy
        .seen()
        .iter()
        .filter(|s| s.fault.is_some())
        .count();
    assert_eq!(
        faulted,
        7,
        "every injected fault was hit: {:#?}",
        rig.proxy.seen()
    );

    // Connection resets, truncated bodies and latency past the attempt timeout: retried too.
    rig.proxy.reset();
    rig.proxy
        .inject("s3:GetBucketEncryption", Fault::Reset, Some(1))
        .inject("codepipeline:ListPipelines", Fault::Truncate, Some(1))
        .inject(
            "kms:GetKeyRotationStatus",
            Fault::Delay(Duration::from_millis(2_500)),
            Some(1),
        )
        .inject("config:PutEvaluations", Fault::Reset, Some(1));
    let result = rig.run("periodic.json", LONG).expect("retried sweep");
    assert_eq!(verdicts(&result), baseline);
    assert_eq!(rig.landed(), baseline);
    let faulted: Vec<String> = rig
        .proxy
        .seen()
        .iter()
        .filter_map(|s| s.fault.clone())
        .collect();
    assert_eq!(
        faulted.len(),
        4,
        "every injected fault was hit: {faulted:?}"
    );

    // AccessDenied on one key: that key (and what depends on it) is NON_COMPLIANT with the reason;
    // everything else is reported as before.
    rig.proxy.reset();
    rig.proxy.inject_where(
        "kms:DescribeKey",
        &symmetric,
        Fault::json(400, "AccessDeniedException"),
        None,
    );
    let result = rig
        .run("periodic.json", LONG)
        .expect("sweep with one unreadable key");
    let denied = verdicts(&result);
    let (verdict, annotation) = &denied[&symmetric];
    assert_eq!(verdict, "NON_COMPLIANT", "{annotation}");
    assert!(
        annotation.contains("AccessDenied"),
        "the reason is kept: {annotation}"
    );
    assert_eq!(
        denied.len(),
        baseline.len(),
        "every resource still evaluated"
    );
    for (id, (verdict, _)) in &denied {
        if baseline[id].0 != *verdict {
            assert_eq!(verdict, "NON_COMPLIANT", "{id} only ever fails closed");
        }
    }
    assert_eq!(
        denied["store-aes"], baseline["store-aes"],
        "unrelated resources unchanged"
    );
    assert_eq!(rig.landed(), denied, "and every evaluation landed");

    // Key policies unreadable everywhere: only the advisory key-policy-not-public depends on
    // them, so every verdict stays as it was; the reason is kept in that finding.
    rig.proxy.reset();
    rig.proxy.inject(
        "kms:GetKeyPolicy",
        Fault::json(400, "AccessDeniedException"),
        None,
    );
    let result = rig
        .run("periodic.json", LONG)
        .expect("sweep with unreadable key policies");
    assert!(
        rig.proxy.count("kms:GetKeyPolicy") > 0,
        "{:#?}",
        rig.proxy.seen()
    );
    let unreadable = verdicts(&result);
    for (id, (verdict, _)) in &unreadable {
        assert_eq!(
            verdict, &baseline[id].0,
            "{id}: an advisory read decides nothing"
        );
    }
    let key = result
        .evaluations
        .iter()
        .find(|e| &*e.compliance_resource_id == symmetric.as_str())
        .expect("the key is evaluated");
    let finding = key
        .findings
        .iter()
        .find(|f| f.control.as_str() == "key-policy-not-public")
        .expect("judged");
    assert_eq!(finding.status.as_str(), "UNKNOWN");
    assert!(
        finding.detail.contains("kms:GetKeyPolicy") && finding.detail.contains("AccessDenied"),
        "{}",
        finding.detail
    );

    // Config's PutEvaluations failing every time: the invocation fails as retryable.
    rig.proxy.reset();
    rig.proxy.inject(
        "config:PutEvaluations",
        Fault::json(503, "ServiceUnavailableException"),
        None,
    );
    let error = rig
        .run("periodic.json", LONG)
        .expect_err("nothing accepted");
    assert_eq!(error_type(error), "Retryable");
    assert!(rig.landed().is_empty());
    assert_eq!(
        rig.proxy.count("config:PutEvaluations"),
        4,
        "standard retry mode: 4 attempts"
    );

    // The deadline comes while a call hangs: an error (Config invokes the rule again), not a
    // partial success.
    rig.proxy.reset();
    rig.proxy.inject(
        "kms:DescribeKey",
        Fault::Delay(Duration::from_secs(10)),
        None,
    );
    let started = std::time::Instant::now();
    let error = rig
        .run("periodic.json", Duration::from_millis(1_500))
        .expect_err("out of time");
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "returned before the deadline"
    );
    assert!(matches!(error, RuleError::OutOfTime { .. }), "{error}");
    assert_eq!(error_type(error), "Retryable");
    assert!(
        rig.landed().is_empty(),
        "no evaluation reported from a cut-short sweep"
    );

    // A bucket change under KMS throttling: assessed from the item, no S3 call at all.
    rig.proxy.reset();
    rig.proxy.inject("kms:", Fault::throttling(), Some(2));
    let result = rig.run("bucket-change.json", LONG).expect("bucket change");
    assert_eq!(result.evaluations.len(), 1);
    assert_eq!(rig.proxy.count("s3:"), 0, "{:#?}", rig.proxy.seen());
    assert_eq!(rig.landed().len(), 1);
}
