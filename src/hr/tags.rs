//! IAM tag rules (IAM User Guide, "Tagging IAM resources": keys 1–128 and values
//! 0–256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, at most 50 per user), and the
//! rendering of HR free text into a value IAM accepts.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// IAM's limit of tags per user.
pub const MAX_TAGS: usize = crate::identity::ownership::MAX_USER_TAGS;

/// Longest tag value IAM accepts, in characters.
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// What a run of characters IAM does not allow becomes in [`normalise_tag_value`].
pub const TAG_SUBSTITUTE: &str = "-";

/// IAM's tag character class, stated as IAM documents it.
const TAG_CHARS: &str = r"\p{L}\p{Z}\p{N}_.:/=+\-@";

/// A whole string of IAM tag characters.
static VALID: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!("^[{TAG_CHARS}]*$")).unwrap());
/// Line breaks and tabs (white space that is a control character): become a space.
static CONTROL_SPACE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\s&&\p{Cc}]").unwrap());
/// Invisible characters (controls, format characters such as U+202E or a zero-width
/// joiner) and combining marks IAM refuses: dropped, so the word around them stays whole.
static INVISIBLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\p{Cc}\p{Cf}\p{M}]+").unwrap());
/// A run of any other character IAM does not allow.
static DISALLOWED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("[^{TAG_CHARS}]+")).unwrap());

fn all_tag_chars(value: &str) -> bool {
    VALID.is_match(value)
}

/// Validates an IAM tag key (1–128 characters, IAM's tag characters, no `aws:` prefix).
pub fn check_tag_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err("tag keys must be 1 to 128 characters".into());
    }
    // ` aws:owner` or `ManagedBy ` would pass for another key to a reader (and slip
    // past the reserved-key checks that compare the key as written).
    if key.starts_with(char::is_whitespace) || key.ends_with(char::is_whitespace) {
        return Err("tag keys must not begin or end with a space".into());
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err("tag keys must not start with aws:".into());
    }
    if !all_tag_chars(key) {
        return Err("tag keys may contain only letters, digits, spaces and _.:/=+-@".into());
    }
    Ok(())
}

/// Whether IAM accepts `value` as a tag value as it is.
pub fn is_valid_tag_value(value: &str) -> bool {
    value.chars().count() <= MAX_TAG_VALUE_CHARS && all_tag_chars(value)
}

/// Renders HR free text as an IAM tag value; a value IAM accepts is returned unchanged
/// (borrowed). Otherwise, deterministically: Unicode NFC composition; tabs and line
/// breaks become spaces; other control and format characters (e.g. U+202E, zero-width
/// joiners) and combining marks are dropped; each remaining run of characters outside
/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]` becomes one [`TAG_SUBSTITUTE`]; spaces and `-` are
/// trimmed from both ends; the result is cut to [`MAX_TAG_VALUE_CHARS`] characters
/// (and trimmed again). The result may be empty. Examples: `R&D` → `R-D`,
/// `Finance (EMEA)` → `Finance -EMEA`.
pub fn normalise_tag_value(value: &str) -> Cow<'_, str> {
    if is_valid_tag_value(value) {
        return Cow::Borrowed(value);
    }
    let composed = icu_normalizer::ComposingNormalizerBorrowed::new_nfc().normalize(value);
    let spaced = CONTROL_SPACE.replace_all(&composed, " ");
    let visible = INVISIBLE.replace_all(&spaced, "");
    let substituted = DISALLOWED.replace_all(&visible, TAG_SUBSTITUTE);
    let trim = |s: &str| -> String {
        s.trim_matches(|c: char| c.is_whitespace() || c == '-')
            .to_string()
    };
    let trimmed = trim(&substituted);
    let cut: String = trimmed.chars().take(MAX_TAG_VALUE_CHARS).collect();
    Cow::Owned(trim(&cut))
}

/// Stores `text` in a tag value so that [`decode_tag_text`] gives it back exactly
/// (names and SCIM's `externalId` are read back by identity providers): every
/// character IAM allows stays, except `=`; `=` and every other character become
/// `=HH` per UTF-8 byte (`O'Brien` → `O=27Brien`). `None` when the result is
/// longer than [`MAX_TAG_VALUE_CHARS`].
pub fn encode_tag_text(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c != '=' && all_tag_chars(c.encode_utf8(&mut buf)) {
            out.push(c);
        } else {
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("={byte:02X}"));
            }
        }
    }
    (out.chars().count() <= MAX_TAG_VALUE_CHARS).then_some(out)
}

/// The text [`encode_tag_text`] stored; a value it did not write (no valid
/// `=HH` escapes, e.g. set by hand) is returned as it is.
pub fn decode_tag_text(value: &str) -> String {
    let mut bytes = Vec::with_capacity(value.len());
    let mut rest = value.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        let escaped = (first == b'=')
            .then(|| tail.get(..2))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                bytes.push(byte);
                rest = &tail[2..];
            }
            None => {
                bytes.push(first);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tag_text_keeps_readable_names_and_escapes_the_rest() {
        assert_eq!(encode_tag_text("Jane").as_deref(), Some("Jane"));
        assert_eq!(encode_tag_text("O'Brien").as_deref(), Some("O=27Brien"));
        assert_eq!(encode_tag_text("a=b").as_deref(), Some("a=3Db"));
        assert_eq!(encode_tag_text("Zoë").as_deref(), Some("Zoë"));
        assert_eq!(decode_tag_text("O=27Brien"), "O'Brien");
        assert_eq!(decode_tag_text("set=by hand"), "set=by hand");
        assert_eq!(encode_tag_text(&"'".repeat(86)), None);
    }

    #[test]
    fn renders_everyday_department_names() {
        for (raw, want) in [
            ("R&D", "R-D"),
            ("Sales & Marketing", "Sales - Marketing"),
            ("Finance (EMEA)", "Finance -EMEA"),
            ("Ops, North #2", "Ops- North -2"),
            ("Ann\u{202e}evil", "Annevil"),
            ("Zero\u{200d}Width", "ZeroWidth"),
            ("Line\nbreak\ttab", "Line break tab"),
            // NFD "é" is composed, not stripped of its accent.
            ("Cafe\u{301}", "Café"),
            // A Devanagari vowel sign (Mn) is dropped: IAM refuses it.
            ("हिंदी", "हद"),
            ("&&&", ""),
            ("(x)", "x"),
        ] {
            assert_eq!(normalise_tag_value(raw), want, "{raw:?}");
        }
        let long = format!("{}&", "a".repeat(300));
        assert_eq!(normalise_tag_value(&long), "a".repeat(256));
    }

    #[test]
    fn keeps_valid_values_exactly() {
        for ok in [
            "Engineering",
            "E-1042",
            " padded ",
            "-leading",
            "ä:b/c=d+e@f_g.h",
            "東京",
            "",
        ] {
            assert!(
                matches!(normalise_tag_value(ok), Cow::Borrowed(v) if v == ok),
                "{ok:?}"
            );
        }
    }

    #[test]
    fn uses_iams_character_classes() {
        // Combining marks pass `char::is_alphanumeric` but not IAM's pattern.
        assert!(!is_valid_tag_value("हिंदी"));
        assert!(check_tag_key("a\u{94d}").is_err());
        assert!(is_valid_tag_value("\u{2003}em space")); // \p{Zs}
        assert!(!is_valid_tag_value("tab\there"));
    }

    proptest! {
        #[test]
        fn any_string_normalises_to_a_valid_value(raw in any::<String>()) {
            let once = normalise_tag_value(&raw).into_owned();
            prop_assert!(is_valid_tag_value(&once), "{once:?}");
            prop_assert_eq!(normalise_tag_value(&once), once.as_str());
        }

        #[test]
        fn tag_text_round_trips_as_a_valid_value(raw in any::<String>()) {
            if let Some(stored) = encode_tag_text(&raw) {
                prop_assert!(is_valid_tag_value(&stored), "{stored:?}");
                prop_assert_eq!(decode_tag_text(&stored), raw);
            }
        }

        #[test]
        fn valid_values_are_kept(raw in r"[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}") {
            prop_assume!(is_valid_tag_value(&raw));
            prop_assert_eq!(normalise_tag_value(&raw), raw.as_str());
        }
    }
}
