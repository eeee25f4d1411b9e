//! `--format html`: one self-contained page (styles, script and data inline; no network
//! fetches), readable offline and as a CI artifact. A grid of accounts × controls coloured by
//! result, the worst accounts and resources first, each finding with its detail and fix, and
//! filters by account, resource type and control, kept in the address's `#fragment` so that a
//! filtered view can be linked.
//!
//! The data is the JSON report itself (the same evaluations as `--format json`), embedded in a
//! `<script type="application/json">`; the page's script draws it. Rows are kept as serialized
//! JSON until the end, since the page orders them worst first.

use std::io::{self, Write};

use artifact_guard::{ControlId, Evaluation};
use serde::Serialize;

use crate::report::{NotScanned, Report};

/// The page around the data (`report.html`), with `/*DATA*/` where the data goes.
const PAGE: &str = include_str!("html/report.html");

#[derive(Default)]
pub struct HtmlReport {
    rows: Vec<String>,
}

#[derive(Serialize)]
struct Control {
    id: &'static str,
    title: &'static str,
    fix: &'static str,
    #[serde(rename = "type")]
    resource_type: &'static str,
    required: bool,
}

impl Report for HtmlReport {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn row(&mut self, _out: &mut dyn Write, evaluation: &Evaluation) -> io::Result<()> {
        self.rows.push(serde_json::to_string(evaluation)?);
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, not_scanned: &[NotScanned]) -> io::Result<()> {
        let (head, tail) = PAGE
            .split_once("/*DATA*/")
            .ok_or_else(|| io::Error::other("the page template has no data marker"))?;
        let controls: Vec<Control> = ControlId::ALL
            .iter()
            .map(|c| Control {
                id: c.as_str(),
                title: c.title(),
                fix: c.fix(),
                resource_type: c.kind().config_type(),
                required: c.required_by_default(),
            })
            .collect();
        out.write_all(head.as_bytes())?;
        let mut data = Vec::with_capacity(self.rows.iter().map(|r| r.len() + 2).sum());
        data.extend_from_slice(b"{\"evaluations\":[");
        for (i, row) in self.rows.iter().enumerate() {
            if i > 0 {
                data.push(b',');
            }
            data.extend_from_slice(row.as_bytes());
        }
        data.extend_from_slice(b"],\"notScanned\":");
        serde_json::to_writer(&mut data, not_scanned)?;
        data.extend_from_slice(b",\"controls\":");
        serde_json::to_writer(&mut data, &controls)?;
        data.push(b'}');
        out.write_all(&script_safe(&data))?;
        out.write_all(tail.as_bytes())
    }
}

/// JSON that cannot end the `<script>` element it sits in, whatever the resources' names hold:
/// every `<` becomes `\u003c` (the same string to a JSON parser), so no `</script>` or `<!--`.
fn script_safe(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    for &b in json {
        if b == b'<' {
            out.extend_from_slice(b"\\u003c");
        } else {
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::script_safe;

    #[test]
    fn embedded_data_cannot_close_its_script_element() {
        let json = br#"{"id":"</script><script>alert(1)</script><!--"}"#;
        let safe = String::from_utf8(script_safe(json)).expect("utf-8");
        assert!(!safe.contains('<'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back["id"], "</script><script>alert(1)</script><!--");
    }
}
