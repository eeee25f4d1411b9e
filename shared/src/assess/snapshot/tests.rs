//! The reader hands every relevant item to the sink in reading order, however the items fall
//! into batches and onto threads, and reports the first failure in reading order.

use std::io;

use serde_json::json;

use super::{load, Sink, SnapshotError, BATCH_BYTES};
use crate::facts::{ConfigurationItem, ResourceFacts, Subject};

#[derive(Default)]
struct Collected(Vec<(Subject, ResourceFacts)>);

impl Sink for Collected {
    fn accept(&mut self, subject: Subject, facts: ResourceFacts) -> io::Result<()> {
        self.0.push((subject, facts));
        Ok(())
    }
}

/// Item `i`: a bucket, a key, or a security group (skipped), with `padding` bytes of tags.
fn item(i: usize, padding: usize) -> serde_json::Value {
    let (kind, id) = match i % 3 {
        0 => ("AWS::S3::Bucket", format!("bucket-{i}")),
        1 => (
            "AWS::KMS::Key",
            format!("{i:08}-0000-4000-8000-000000000000"),
        ),
        _ => ("AWS::EC2::SecurityGroup", format!("sg-{i}")),
    };
    json!({
        "resourceType": kind, "resourceId": id, "awsAccountId": "111122223333",
        "awsRegion": "eu-west-1", "configurationItemCaptureTime": "2026-11-02T09:15:27.431Z",
        "configurationItemStatus": "OK",
        "configuration": {"keyId": id, "keySpec": "SYMMETRIC_DEFAULT", "keyState": "Enabled"},
        "supplementaryConfiguration": {"BucketPolicy": {"policyText": null}},
        "tags": {"padding": "x".repeat(padding), "quote": "a \"b\" [c] {d}"}
    })
}

fn one_by_one(items: &[serde_json::Value]) -> Vec<(Subject, ResourceFacts)> {
    items
        .iter()
        .filter_map(|v| {
            let item = ConfigurationItem::from_json(&v.to_string()).expect("an item");
            item.into_facts().expect("an identity")
        })
        .collect()
}

#[test]
fn every_relevant_item_reaches_the_sink_in_reading_order_across_many_batches() {
    // About eight batches' worth, with the items pretty-printed over many lines.
    let items: Vec<_> = (0..3_000).map(|i| item(i, i % 3_000)).collect();
    let text =
        serde_json::to_string_pretty(&json!({"fileVersion": "1.0", "configurationItems": items}))
            .expect("json");
    assert!(text.len() > 8 * BATCH_BYTES, "{} bytes", text.len());
    let mut sink = Collected::default();
    let stats = load(text.as_bytes(), &mut sink).expect("read");
    assert_eq!((stats.items, stats.relevant), (3_000, 2_000));
    assert_eq!(sink.0, one_by_one(&items));
}

#[test]
fn the_first_failure_in_reading_order_is_reported_wherever_it_was_parsed() {
    let mut items: Vec<_> = (0..3_000).map(|i| item(i, 1_000)).collect();
    // A late item fails in a late batch, an early one in the first: the early one is reported.
    items[2_700]["resourceId"] = json!(null);
    items[4]["resourceId"] = json!(7);
    let text = json!({"configurationItems": items}).to_string();
    let error = load(text.as_bytes(), &mut Collected::default()).expect_err("item 4");
    match &error {
        SnapshotError::Syntax { path, .. } => {
            assert_eq!(path, "configurationItems[4].resourceId", "{error}");
        }
        other => panic!("{other}"),
    }
    items[4] = item(4, 10);
    let text = json!({"configurationItems": items}).to_string();
    let error = load(text.as_bytes(), &mut Collected::default()).expect_err("item 2700");
    assert!(
        error
            .to_string()
            .starts_with("configurationItems[2700] (AWS::S3::Bucket ?): field resourceId"),
        "{error}"
    );
}

#[test]
fn an_error_inside_an_item_names_its_line_and_column_in_the_file() {
    let text = "{\"fileVersion\": \"1.0\",\n \"configurationItems\": [\n  {\"resourceType\": \"AWS::S3::Bucket\",\n   \"resourceId\": true}\n]}";
    let error = load(text.as_bytes(), &mut Collected::default()).expect_err("not a string");
    match error {
        SnapshotError::Syntax {
            path, line, column, ..
        } => {
            assert_eq!(
                (path.as_str(), line),
                ("configurationItems[0].resourceId", 4)
            );
            // serde_json places the error after the value it rejected.
            assert!((18..=22).contains(&column), "column {column}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn malformed_structure_outside_the_items_is_an_error() {
    for (text, expected) in [
        (r#"{"configurationItems": []} x"#, "trailing characters"),
        (r#"{"configurationItems": [], }"#, "key must be a string"),
        (
            r#"{"configurationItems": [] "x": 1}"#,
            "expected `,` or `}`",
        ),
        (r#"{"configurationItems": [],]}"#, "key must be a string"),
        // An item before the place the structure breaks fails first.
        (
            r#"{"configurationItems": [{}],]}"#,
            "configurationItems[0] (? ?): field resourceType",
        ),
        (
            r#"{"configurationItems": [{"resourceType": "AWS::EC2::VPC", "resourceId": "v"},]}"#,
            "trailing comma",
        ),
        (r#"{"configurationItems" []}"#, "expected `:`"),
        (r#"{"other": [1 2], "configurationItems": []}"#, "at other"),
        (
            r#"{"configurationItems": "no"}"#,
            "expected a list of configuration items",
        ),
        ("", "EOF while parsing a value"),
        ("\"text\"", "expected a Config snapshot object"),
    ] {
        let error = load(text.as_bytes(), &mut Collected::default())
            .expect_err(text)
            .to_string();
        assert!(error.contains(expected), "{text}: {error}");
    }
    // Whitespace around everything, an empty object member list, and both list keys are fine.
    for text in [
        " \n[ ]\n ",
        "{ \"baseConfigurationItems\" : [ ] , \"x\" : { } }",
    ] {
        load(text.as_bytes(), &mut Collected::default()).expect(text);
    }
}

#[test]
fn a_sink_that_fails_stops_the_reading_with_its_error() {
    struct Full;
    impl Sink for Full {
        fn accept(&mut self, _: Subject, _: ResourceFacts) -> io::Result<()> {
            Err(io::Error::other("no space left on device"))
        }
    }
    let items: Vec<_> = (0..10).map(|i| item(i, 10)).collect();
    let text = json!({"configurationItems": items}).to_string();
    let error = load(text.as_bytes(), &mut Full).expect_err("full");
    assert!(matches!(error, SnapshotError::Sink(_)), "{error}");
    assert_eq!(error.to_string(), "no space left on device");
}
