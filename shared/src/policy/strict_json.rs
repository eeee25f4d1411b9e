//! JSON text read into a `serde_json::Value`, refusing duplicate object keys anywhere.
//!
//! Which of two `Effect`s (or two `StringEquals` in one `Condition`) AWS keeps is not
//! documented, so a policy that has one cannot be judged: it is refused with the key and where
//! it is (`duplicate key "Effect" in Statement[0]`), and every control that reads the policy is
//! then UNKNOWN. serde_json alone keeps the last value silently.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses `text`, failing on a duplicate key; the error names the key and its JSON path.
pub(crate) fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Node { at: &Path::Root }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Where a value sits, built only when an error names it.
enum Path<'a> {
    Root,
    Key(&'a str, &'a Path<'a>),
    Index(usize, &'a Path<'a>),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("the policy"),
            Self::Key(key, Self::Root) => f.write_str(key),
            Self::Key(key, parent) => write!(f, "{parent}.{key}"),
            Self::Index(i, Self::Root) => write!(f, "[{i}]"),
            Self::Index(i, parent) => write!(f, "{parent}[{i}]"),
        }
    }
}

struct Node<'a> {
    at: &'a Path<'a>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Node {
            at: &Path::Index(items.len(), self.at),
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate key {} in {}; which one AWS keeps is not documented, so keep one",
                    crate::quote::quoted(&key),
                    self.at
                )));
            }
            let value = access.next_value_seed(Node {
                at: &Path::Key(&key, self.at),
            })?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn duplicate_keys_are_refused_naming_the_key_and_where() {
        let e = parse(r#"{"Statement": [{"Effect": "Deny", "Effect": "Allow"}]}"#)
            .expect_err("duplicate");
        assert!(
            e.to_string()
                .contains("duplicate key \"Effect\" in Statement[0]"),
            "{e}"
        );
        let e = parse(
            r#"{"Statement": {"Condition": {"StringEquals": {"a": "1"}, "StringEquals": {"b": "2"}}}}"#,
        )
        .expect_err("duplicate");
        assert!(
            e.to_string()
                .contains("duplicate key \"StringEquals\" in Statement.Condition"),
            "{e}"
        );
        let e = parse(r#"{"Version": "2012-10-17", "Version": "2008-10-17"}"#).expect_err("dup");
        assert!(e.to_string().contains("in the policy"), "{e}");
    }

    #[test]
    fn documents_without_duplicates_read_as_serde_json_reads_them() {
        let text = r#"{"a": [1, -2, 3.5, true, null, "x", {"b": {}}], "c": "d"}"#;
        assert_eq!(
            parse(text).expect("valid"),
            serde_json::from_str::<serde_json::Value>(text).expect("valid")
        );
        assert!(parse("{} x").is_err(), "trailing text");
    }
}
