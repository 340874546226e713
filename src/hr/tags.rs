//! IAM tag rules (IAM User Guide, "Tagging IAM resources": keys 1–128 and values
//! 0–256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, at most 50 per user).

/// IAM's limit of tags per user.
pub const MAX_TAGS: usize = 50;

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() && !c.is_control() || "_.:/=+-@".contains(c)
}

/// Validates an IAM tag key (1–128 characters, IAM's tag characters, no `aws:` prefix).
pub fn check_tag_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err("tag keys must be 1 to 128 characters".into());
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err("tag keys must not start with aws:".into());
    }
    if !key.chars().all(is_tag_char) {
        return Err("tag keys may contain only letters, digits, spaces and _.:/=+-@".into());
    }
    Ok(())
}

/// Validates an IAM tag value (0–256 characters of IAM's tag characters).
pub fn check_tag_value(value: &str) -> Result<(), String> {
    if value.chars().count() > 256 {
        return Err("tag values must be at most 256 characters".into());
    }
    if !value.chars().all(is_tag_char) {
        return Err("tag values may contain only letters, digits, spaces and _.:/=+-@".into());
    }
    Ok(())
}
