//! The engine's modules depend one way: policy → facts → controls → assess, with the AWS
//! adapters and live gathering above them all. A module never reaches up: a control that needed
//! the assessment, or a fact that needed a control, would make "a new resource kind is one short
//! path" false. Test code may borrow any layer's fixtures and is not checked.

use std::path::Path;

/// Each layer and the modules above it, which it must not name.
const LAYERS: [(&str, &[&str]); 6] = [
    (
        "policy",
        &[
            "facts", "controls", "assess", "live", "aws", "store", "template",
        ],
    ),
    (
        "store",
        &["facts", "controls", "assess", "live", "aws", "template"],
    ),
    ("facts", &["controls", "assess", "live", "aws", "template"]),
    ("controls", &["assess", "live", "aws", "template"]),
    ("assess", &["live", "aws", "template"]),
    ("template", &["live", "aws"]),
];

/// The non-test part of a source file: up to its first `#[cfg(test)]`.
fn production_code(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |at| &text[..at])
}

fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == "tests.rs" || name.ends_with("_tests.rs") || name == "proptests.rs"
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !is_test_file(&path) {
            out.push(path);
        }
    }
}

#[test]
fn no_module_reaches_up_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut checked = 0;
    for (layer, above) in LAYERS {
        let mut files = Vec::new();
        let dir = src.join(layer);
        sources(&dir, &mut files);
        let own = src.join(format!("{layer}.rs"));
        if own.exists() {
            files.push(own);
        }
        for file in files {
            checked += 1;
            let text = std::fs::read_to_string(&file).expect("readable");
            for higher in above {
                let path = format!("crate::{higher}");
                if production_code(&text).contains(&path) {
                    violations.push(format!("{} names {path}", file.display()));
                }
            }
        }
    }
    assert!(checked > 20, "the layers' files were found ({checked})");
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn the_check_sees_a_reach_up() {
    let text = "use crate::assess::KeyLookup;\n#[cfg(test)]\nmod tests { use crate::live::X; }";
    assert!(production_code(text).contains("crate::assess"));
    assert!(!production_code(text).contains("crate::live"));
}
