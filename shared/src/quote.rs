//! Repeating input back in error messages, bounded. Errors go to the logs, into Config
//! annotations and into CloudFormation's 4 KB response, while an event, a configuration item or
//! a template property can carry megabytes: a message shows at most [`SHOWN`] characters of a
//! value, and says how long the rest was.

/// Characters of a value an error message repeats.
pub const SHOWN: usize = 64;

/// `value` as it is, or its first [`SHOWN`] characters and its length.
pub fn cut(value: &str) -> String {
    match head_of_long(value) {
        None => value.to_owned(),
        Some((head, length)) => format!("{head}… ({length} characters)"),
    }
}

/// `value` quoted (Rust's `{:?}`: escapes included), cut like [`cut`].
pub fn quoted(value: &str) -> String {
    match head_of_long(value) {
        None => format!("{value:?}"),
        Some((head, length)) => format!("{head:?}… ({length} characters)"),
    }
}

/// The first [`SHOWN`] characters of a longer `value`, and its length in characters.
fn head_of_long(value: &str) -> Option<(String, usize)> {
    let length = value.chars().count();
    (length > SHOWN).then(|| (value.chars().take(SHOWN).collect(), length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_kept_and_long_ones_cut_on_a_character_boundary() {
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
        assert_eq!(cut("short"), "short");
        let long = "é".repeat(100);
        assert_eq!(
            cut(&long),
            format!("{}… (100 characters)", "é".repeat(SHOWN))
        );
        assert_eq!(
            quoted(&long),
            format!("\"{}\"… (100 characters)", "é".repeat(SHOWN))
        );
    }
}
