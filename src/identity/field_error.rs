//! What validation reports about a field: an error (why it was rejected) or a
//! warning (what was changed so that it could be accepted).

/// Why a field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// Path of the offending field, e.g. `employee.email` or `employees[2].tags.CostCenter`.
    pub field: String,
    /// Human-readable reason; never echoes secret values.
    pub reason: String,
}

impl FieldError {
    /// A rejection of `field` for `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error with `prefix.` put before the field path.
    pub fn within(self, prefix: &str) -> Self {
        Self {
            field: prefixed(prefix, &self.field),
            reason: self.reason,
        }
    }
}

/// A field that was accepted only after it was changed (e.g. free text normalised
/// into an IAM tag value). Shown to the caller in the result's `warning`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {note}")]
pub struct FieldWarning {
    /// Path of the field, as in [`FieldError::field`].
    pub field: String,
    /// What was done to it.
    pub note: String,
}

impl FieldWarning {
    /// A warning about `field`.
    pub fn new(field: impl Into<String>, note: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            note: note.into(),
        }
    }

    /// The same warning with `prefix.` put before the field path.
    pub fn within(self, prefix: &str) -> Self {
        Self {
            field: prefixed(prefix, &self.field),
            note: self.note,
        }
    }
}

fn prefixed(prefix: &str, field: &str) -> String {
    if field.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}.{field}")
    }
}
