//! A CloudFormation template's text (YAML or JSON, which is YAML too) as a tree of nodes that
//! know their line and column. The short-form tags become the long form CloudFormation reads
//! them as (`!Sub x` is `{"Fn::Sub": x}`, `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`), so that
//! what follows sees one form only.

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

/// One value of the template and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
    /// The line of the key this node is the value of (0 when it is not a mapping's value).
    pub key_line: u32,
}

/// A template value. Scalars keep their text: CloudFormation reads `true`, `"true"` and `1` by
/// what the property expects, and so does artifact-guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// A string, number or boolean, as written.
    Scalar(Box<str>),
    /// A sequence.
    List(Vec<Node>),
    /// A mapping, in the order written (keys are unique).
    Map(Vec<(Box<str>, Node)>),
}

impl Node {
    /// The value of `key` when this node is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| &**k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entries of a mapping; none for anything else.
    pub fn entries(&self) -> &[(Box<str>, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The scalar's text.
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

impl Node {
    /// A JSON value as a node (CloudFormation's resolved properties, a hook's request): every
    /// scalar as its text, at line 0.
    pub fn from_json(value: &serde_json::Value) -> Node {
        use serde_json::Value as J;
        let value = match value {
            J::Null => Value::Null,
            J::Bool(b) => Value::Scalar(if *b { "true" } else { "false" }.into()),
            J::Number(n) => Value::Scalar(n.to_string().into()),
            J::String(s) => Value::Scalar(s.as_str().into()),
            J::Array(items) => Value::List(items.iter().map(Node::from_json).collect()),
            J::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (k.as_str().into(), Node::from_json(v)))
                    .collect(),
            ),
        };
        Node {
            value,
            line: 0,
            column: 0,
            key_line: 0,
        }
    }
}

/// Text that is not a template, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
    /// What is wrong, and what to write instead when that is known.
    pub message: String,
}

/// The intrinsic function a short-form tag stands for.
fn long_form(tag: &Tag) -> Option<&'static str> {
    if tag.handle != "!" {
        return None;
    }
    Some(match tag.suffix.as_str() {
        "Ref" => "Ref",
        "Condition" => "Condition",
        "Sub" => "Fn::Sub",
        "GetAtt" => "Fn::GetAtt",
        "Join" => "Fn::Join",
        "If" => "Fn::If",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "FindInMap" => "Fn::FindInMap",
        "ImportValue" => "Fn::ImportValue",
        "Base64" => "Fn::Base64",
        "Cidr" => "Fn::Cidr",
        "GetAZs" => "Fn::GetAZs",
        "Equals" => "Fn::Equals",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "Not" => "Fn::Not",
        "Transform" => "Fn::Transform",
        "Length" => "Fn::Length",
        "ToJsonString" => "Fn::ToJsonString",
        "ForEach" => "Fn::ForEach",
        _ => return None,
    })
}

/// What a tag does to the node it is on.
enum Tagged {
    /// No tag, or a YAML core tag (`!!str`): the node as it is.
    Plain,
    /// A short-form intrinsic function.
    Function(&'static str),
}

fn tagged(tag: Option<&Tag>, span: &Span) -> Result<Tagged, ParseError> {
    let Some(tag) = tag else {
        return Ok(Tagged::Plain);
    };
    if tag.is_yaml_core_schema() {
        return Ok(Tagged::Plain);
    }
    long_form(tag).map(Tagged::Function).ok_or_else(|| {
        error_at(
            span,
            format!("unknown tag {}: CloudFormation's short forms are !Ref, !Sub, !GetAtt, !Join, !If, !Select, !Split, !FindInMap, !ImportValue, !Base64, !Cidr, !GetAZs, !Equals, !And, !Or, !Not, !Condition, !Transform, !Length, !ToJsonString", crate::quote::cut(&tag.to_string())),
        )
    })
}

fn position(span: &Span) -> (u32, u32) {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
    let column = u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX);
    (line, column)
}

fn error_at(span: &Span, message: String) -> ParseError {
    let (line, column) = position(span);
    ParseError {
        line,
        column,
        message,
    }
}

/// A collection being built.
struct Open {
    node: Node,
    function: Option<&'static str>,
    /// A mapping's key, waiting for its value.
    key: Option<(Box<str>, u32)>,
}

/// Parses one template. Aliases and more than one document are refused, as CloudFormation does.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| ParseError {
            line: u32::try_from(e.marker().line()).unwrap_or(u32::MAX),
            column: u32::try_from(e.marker().col() + 1).unwrap_or(u32::MAX),
            message: e.info().to_owned(),
        })?;
        let (line, column) = position(&span);
        let done = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(error_at(
                        &span,
                        "a second YAML document: a template is one document".into(),
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(error_at(
                    &span,
                    "a YAML alias: CloudFormation does not accept aliases; write the value out"
                        .into(),
                ))
            }
            Event::Scalar(text, style, _, tag) => {
                let function = match tagged(tag.as_deref(), &span)? {
                    Tagged::Plain => None,
                    Tagged::Function(f) => Some(f),
                };
                let value = if style == ScalarStyle::Plain
                    && function.is_none()
                    && matches!(&*text, "" | "~" | "null" | "Null" | "NULL")
                {
                    Value::Null
                } else {
                    Value::Scalar(text.as_ref().into())
                };
                let node = Node {
                    value,
                    line,
                    column,
                    key_line: 0,
                };
                match function {
                    None => node,
                    Some(f) => call(f, node),
                }
            }
            Event::SequenceStart(_, ref tag) | Event::MappingStart(_, ref tag) => {
                let is_sequence = matches!(event, Event::SequenceStart(..));
                let function = match tagged(tag.as_deref(), &span)? {
                    Tagged::Plain => None,
                    Tagged::Function(f) => Some(f),
                };
                let value = if is_sequence {
                    Value::List(Vec::new())
                } else {
                    Value::Map(Vec::new())
                };
                stack.push(Open {
                    node: Node {
                        value,
                        line,
                        column,
                        key_line: 0,
                    },
                    function,
                    key: None,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = stack.pop() else { continue };
                match open.function {
                    None => open.node,
                    Some(f) => call(f, open.node),
                }
            }
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(done),
            Some(parent) => add(parent, done)?,
        }
    }
    root.ok_or(ParseError {
        line: 1,
        column: 1,
        message: "the file is empty: a template is a mapping with Resources".into(),
    })
}

/// `{"Fn::X": node}` at the node's position; `!GetAtt A.B` becomes `["A", "B"]`.
fn call(function: &'static str, node: Node) -> Node {
    let (line, column) = (node.line, node.column);
    let argument = match (&node.value, function) {
        (Value::Scalar(text), "Fn::GetAtt") => match text.split_once('.') {
            Some((resource, attribute)) => Node {
                key_line: 0,
                value: Value::List(vec![
                    Node {
                        value: Value::Scalar(resource.into()),
                        line,
                        column,
                        key_line: 0,
                    },
                    Node {
                        value: Value::Scalar(attribute.into()),
                        line,
                        column,
                        key_line: 0,
                    },
                ]),
                line,
                column,
            },
            None => node,
        },
        _ => node,
    };
    Node {
        value: Value::Map(vec![(function.into(), argument)]),
        line,
        column,
        key_line: 0,
    }
}

fn add(parent: &mut Open, node: Node) -> Result<(), ParseError> {
    match &mut parent.node.value {
        Value::List(items) => items.push(node),
        Value::Map(entries) => match parent.key.take() {
            None => {
                let key: Box<str> = match &node.value {
                    Value::Scalar(k) => k.clone(),
                    Value::Null => "".into(),
                    _ => {
                        return Err(ParseError {
                            line: node.line,
                            column: node.column,
                            message: "a mapping key that is not a plain string".into(),
                        })
                    }
                };
                if let Some((_, earlier)) = entries.iter().find(|(k, _)| *k == key) {
                    return Err(ParseError {
                        line: node.line,
                        column: node.column,
                        message: format!(
                            "duplicate key {} (first at line {}): CloudFormation keeps only one; remove the other",
                            crate::quote::quoted(&key),
                            earlier.line
                        ),
                    });
                }
                parent.key = Some((key, node.line));
            }
            Some((key, key_line)) => entries.push((key, Node { key_line, ..node })),
        },
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(node: &Node) -> &str {
        node.as_scalar().unwrap_or("<not a scalar>")
    }

    #[test]
    fn short_forms_become_the_long_form_at_their_position() {
        let text = "A:\n  B: !Sub 'x-${AWS::Region}'\n  C: !GetAtt Key.Arn\n  D: !Join [':', [a, !Ref P]]\n  E: !If\n    - Cond\n    - 1\n    - !Ref AWS::NoValue\n";
        let root = parse(text).unwrap();
        let a = root.get("A").unwrap();
        let b = a.get("B").unwrap();
        assert_eq!((b.line, b.column), (2, 6));
        assert_eq!(scalar(b.get("Fn::Sub").unwrap()), "x-${AWS::Region}");
        let c = a.get("C").unwrap().get("Fn::GetAtt").unwrap();
        let Value::List(parts) = &c.value else {
            panic!("GetAtt becomes a list: {c:?}")
        };
        assert_eq!(parts.iter().map(scalar).collect::<Vec<_>>(), ["Key", "Arn"]);
        let d = a.get("D").unwrap().get("Fn::Join").unwrap();
        let Value::List(join) = &d.value else {
            panic!("{d:?}")
        };
        let Value::List(items) = &join[1].value else {
            panic!("{d:?}")
        };
        assert_eq!(scalar(items[1].get("Ref").unwrap()), "P");
        let e = a.get("E").unwrap().get("Fn::If").unwrap();
        assert!(matches!(&e.value, Value::List(v) if v.len() == 3));
        assert_eq!(a.get("E").unwrap().line, 5);
    }

    #[test]
    fn json_templates_parse_with_positions() {
        let text = "{\n\t\"Resources\": {\n\t\t\"B\": {\"Type\": \"AWS::S3::Bucket\", \"Properties\": {\"X\": null}}\n\t}\n}\n";
        let root = parse(text).unwrap();
        let b = root.get("Resources").unwrap().get("B").unwrap();
        assert_eq!(b.line, 3);
        assert_eq!(scalar(b.get("Type").unwrap()), "AWS::S3::Bucket");
        assert_eq!(
            b.get("Properties").unwrap().get("X").unwrap().value,
            Value::Null
        );
    }

    #[test]
    fn malformed_text_names_line_and_column() {
        for (text, line, words) in [
            ("A:\n  B: [1, 2\nC: 3\n", 3, ""),
            ("A: 1\nA: 2\n", 2, "duplicate key \"A\" (first at line 1)"),
            ("A: &x 1\nB: *x\n", 2, "alias"),
            ("A: !Bogus 1\n", 1, "unknown tag !Bogus"),
            ("A: 1\n---\nB: 2\n", 2, "second YAML document"),
            ("", 1, "empty"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(words), "{text:?}: {e}");
            assert!(e.column >= 1, "{text:?}: {e}");
        }
    }

    #[test]
    fn nesting_past_the_parser_limit_is_an_error_not_a_crash() {
        let deep = format!("Resources: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse(&deep).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("recursion limit"), "{e}");
    }

    #[test]
    fn a_gigantic_key_or_tag_is_not_repeated_back() {
        let key = "k".repeat(1_000_000);
        // Explicit keys: YAML limits implicit ones to 1,024 characters.
        for text in [
            format!("? {key}\n: 1\n? {key}\n: 2\n"),
            format!("A: !{key} 1\n"),
        ] {
            let e = parse(&text).unwrap_err();
            assert!(e.message.len() < 2_048, "{} bytes", e.message.len());
            assert!(e.message.contains("characters)"), "{}", e.message);
        }
    }

    #[test]
    fn quoted_null_words_stay_strings() {
        let root = parse("A: 'null'\nB: ~\nC: !Ref ''\n").unwrap();
        assert_eq!(root.get("A").unwrap().value, Value::Scalar("null".into()));
        assert_eq!(root.get("B").unwrap().value, Value::Null);
        assert!(root.get("C").unwrap().get("Ref").is_some());
    }
}
