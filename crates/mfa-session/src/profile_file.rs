//! Line-level reading of the AWS shared config and credentials files, with the
//! rules of the SDK's own parser: a section starts with `[` in column 0; `#` or
//! `;` in column 0 starts a comment; a line starting with a space or tab
//! continues the previous property; property names are case-insensitive;
//! sections of the same name are merged, later values winning.
//!
//! Every line keeps its exact text (terminator included), so an editor can
//! rewrite a file while leaving all lines it does not own byte-for-byte intact.

use std::collections::HashMap;

const WHITESPACE: &[char] = &[' ', '\t'];
const COMMENT: &[char] = &['#', ';'];

/// What a line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// `[name]` or `[prefix name]`: the text between the brackets, trimmed.
    Section(String),
    /// `key = value`: the key lowercased, the value trimmed and without a trailing comment.
    Property {
        key: String,
        value: String,
    },
    /// An indented line: part of the previous property's value.
    Continuation,
    Comment,
    Blank,
    /// Anything the SDK would reject; kept as is.
    Other,
}

/// One line of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// The exact text, with its `\n` or `\r\n` if it had one.
    pub text: &'a str,
    pub kind: LineKind,
}

impl Line<'_> {
    /// Whether the line ends with a line terminator.
    pub fn terminated(&self) -> bool {
        self.text.ends_with('\n')
    }
}

/// Splits `content` into classified lines; concatenating their `text` gives `content` back.
pub fn lines(content: &str) -> Vec<Line<'_>> {
    content
        .split_inclusive('\n')
        .map(|text| Line {
            text,
            kind: line_kind(strip_terminator(text)),
        })
        .collect()
}

fn strip_terminator(text: &str) -> &str {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.strip_suffix('\r').unwrap_or(text)
}

/// The terminator the file uses: that of its first terminated line, else `\n`.
pub fn line_ending(content: &str) -> &'static str {
    match content.find('\n') {
        Some(i) if content[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

fn line_kind(line: &str) -> LineKind {
    if line.trim_matches(WHITESPACE).is_empty() {
        LineKind::Blank
    } else if line.starts_with(COMMENT) {
        LineKind::Comment
    } else if line.starts_with('[') {
        match without_comment(line, false)
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
        {
            Some(inner) => LineKind::Section(inner.trim_matches(WHITESPACE).to_string()),
            None => LineKind::Other,
        }
    } else if line.starts_with(WHITESPACE) {
        LineKind::Continuation
    } else {
        match without_comment(line, true).split_once('=') {
            Some((k, v)) if !k.trim_matches(WHITESPACE).is_empty() => LineKind::Property {
                key: k.trim_matches(WHITESPACE).to_ascii_lowercase(),
                value: v.trim_matches(WHITESPACE).to_string(),
            },
            _ => LineKind::Other,
        }
    }
}

/// The line without a trailing `# …` / `; …` comment (in property lines only when
/// preceded by whitespace, as the SDK does), trimmed.
fn without_comment(line: &str, comment_needs_whitespace: bool) -> &str {
    let line = line.trim_matches(WHITESPACE);
    let mut previous_whitespace = false;
    for (i, c) in line.char_indices() {
        if COMMENT.contains(&c) && (previous_whitespace || !comment_needs_whitespace) {
            return line[..i].trim_matches(WHITESPACE);
        }
        previous_whitespace = c.is_whitespace();
    }
    line
}

/// The profile a credentials-file section defines: `[name]` → `name`; a prefixed
/// section (`[profile name]`) defines none there.
pub fn credentials_profile(section: &str) -> Option<&str> {
    (!section.contains(WHITESPACE)).then_some(section)
}

/// The profile a config-file section defines and whether it used the `profile `
/// prefix: `[default]` → (`default`, false), `[profile x]` → (`x`, true).
pub fn config_profile(section: &str) -> Option<(&str, bool)> {
    match section.split_once(WHITESPACE) {
        Some(("profile", name)) => Some((name.trim_matches(WHITESPACE), true)),
        Some(_) => None,
        None => (section == "default").then_some((section, false)),
    }
}

/// The merged properties of the sections for which `wanted` is true.
fn merged_properties(content: &str, wanted: impl Fn(&str) -> bool) -> HashMap<String, String> {
    let mut properties = HashMap::new();
    let mut inside = false;
    for line in lines(content) {
        match line.kind {
            LineKind::Section(name) => inside = wanted(&name),
            LineKind::Property { key, value } if inside => {
                properties.insert(key, value);
            }
            _ => {}
        }
    }
    properties
}

/// The properties of profile `name` in a credentials file.
pub fn credentials_properties(content: &str, name: &str) -> HashMap<String, String> {
    merged_properties(content, |section| {
        credentials_profile(section) == Some(name)
    })
}

/// The properties of profile `name` in a config file. For `default`, as in the
/// SDK, `[profile default]` wins over `[default]` when both exist.
pub fn config_properties(content: &str, name: &str) -> HashMap<String, String> {
    let prefixed_default = name == "default"
        && lines(content).iter().any(|l| {
            matches!(&l.kind, LineKind::Section(s) if config_profile(s) == Some(("default", true)))
        });
    merged_properties(content, |section| match config_profile(section) {
        Some((n, prefixed)) => n == name && (!prefixed_default || prefixed),
        None => false,
    })
}

/// `mfa_serial` of profile `name` in a config file, if set.
pub fn configured_mfa_serial(config: &str, name: &str) -> Option<String> {
    config_properties(config, name)
        .remove("mfa_serial")
        .filter(|s| !s.is_empty())
}

/// Whether `name` can be a profile name (the SDK ignores sections whose name has
/// other characters than letters, digits and `_-/.%@:+`).
pub fn valid_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_exactly_and_classify_like_the_sdk() {
        let text = "# top\r\n[default]\r\naws_access_key_id = AKIA # note\r\n  nested = 1\r\n\r\n; c\r\n[profile x] ; c\r\nbad line\r\nk=v#not-a-comment";
        let ls = lines(text);
        assert_eq!(ls.iter().map(|l| l.text).collect::<String>(), text);
        let kinds: Vec<_> = ls.iter().map(|l| l.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                LineKind::Comment,
                LineKind::Section("default".into()),
                LineKind::Property {
                    key: "aws_access_key_id".into(),
                    value: "AKIA".into()
                },
                LineKind::Continuation,
                LineKind::Blank,
                LineKind::Comment,
                LineKind::Section("profile x".into()),
                LineKind::Other,
                LineKind::Property {
                    key: "k".into(),
                    value: "v#not-a-comment".into()
                },
            ]
        );
        assert!(!ls.last().unwrap().terminated());
        assert!(ls[0].terminated());
    }

    #[test]
    fn line_ending_follows_the_file() {
        assert_eq!(line_ending("a\r\nb\n"), "\r\n");
        assert_eq!(line_ending("a\nb\r\n"), "\n");
        assert_eq!(line_ending("no newline"), "\n");
        assert_eq!(line_ending(""), "\n");
    }

    #[test]
    fn section_names() {
        assert_eq!(credentials_profile("jane"), Some("jane"));
        assert_eq!(credentials_profile("profile jane"), None);
        assert_eq!(config_profile("profile jane"), Some(("jane", true)));
        assert_eq!(config_profile("profile   jane"), Some(("jane", true)));
        assert_eq!(config_profile("default"), Some(("default", false)));
        assert_eq!(config_profile("jane"), None);
        assert_eq!(config_profile("sso-session x"), None);
    }

    #[test]
    fn properties_merge_sections_and_ignore_other_profiles() {
        let creds = "[a]\nx = 1\n[b]\nx = 2\n[A]\nX = 3\n[a]\ny = 4\n";
        let a = credentials_properties(creds, "a");
        assert_eq!(a.get("x").map(String::as_str), Some("1"));
        assert_eq!(a.get("y").map(String::as_str), Some("4"));
        assert_eq!(credentials_properties(creds, "b")["x"], "2");
        assert!(credentials_properties(creds, "c").is_empty());
    }

    #[test]
    fn mfa_serial_comes_from_the_profile_section_of_the_config_file() {
        let config = "[default]\nmfa_serial = arn:default\n[profile jane]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::1:mfa/jane-phone ; my phone\n[jane]\nmfa_serial = arn:ignored\n";
        assert_eq!(
            configured_mfa_serial(config, "jane").as_deref(),
            Some("arn:aws:iam::1:mfa/jane-phone")
        );
        assert_eq!(
            configured_mfa_serial(config, "default").as_deref(),
            Some("arn:default")
        );
        assert_eq!(configured_mfa_serial(config, "bob"), None);
        let both = "[default]\nmfa_serial = plain\n[profile default]\nmfa_serial = prefixed\n";
        assert_eq!(
            configured_mfa_serial(both, "default").as_deref(),
            Some("prefixed")
        );
        assert_eq!(
            configured_mfa_serial("[profile x]\nmfa_serial =\n", "x"),
            None
        );
    }

    #[test]
    fn profile_names() {
        for ok in ["default", "jane-mfa", "a.b@c:d/e+f%g_h"] {
            assert!(valid_profile_name(ok), "{ok}");
        }
        for bad in ["", "a b", "a]b", "a\nb", "ü"] {
            assert!(!valid_profile_name(bad), "{bad:?}");
        }
    }
}
