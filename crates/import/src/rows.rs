//! Reading an HR export: UTF-8 CSV with or without a BOM (csv-core strips it),
//! `,` or `;` (whichever the header line has more of), quoted fields with
//! separators and line breaks, CRLF or LF, blank lines skipped. Columns map to
//! the contract's fields by `--map field=Column` (or a mapping file of such
//! lines); unmapped fields are looked up by their own name.

use std::collections::BTreeMap;
use std::path::Path;

/// The contract's fields a row may carry, in report order.
pub const FIELDS: [&str; 7] = [
    "email",
    "username",
    "givenName",
    "familyName",
    "employeeId",
    "department",
    "groups",
];

/// One data row: its line in the file (1-based, the row's first line) and its
/// non-empty mapped values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Line of the file where the row starts.
    pub line: u64,
    /// Field (of [`FIELDS`]) → trimmed, non-empty value.
    pub values: BTreeMap<&'static str, String>,
}

/// Why the file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum RowsError {
    /// Not readable or not UTF-8 / CSV at `line`.
    #[error("line {line}: {reason}")]
    Unreadable {
        /// Where.
        line: u64,
        /// What.
        reason: String,
    },
    /// A mapping names an unknown field or a column the header lacks.
    #[error("mapping: {0}")]
    Mapping(String),
    /// The file could not be opened.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Column names per field: `field=Column` pairs, from flags and mapping files.
#[derive(Debug, Clone, Default)]
pub struct Mapping(BTreeMap<&'static str, String>);

impl Mapping {
    /// Reads `field=Column` pairs (flags, or the lines of a mapping file; `#`
    /// comments and blank lines ignored). Errors: an unknown field, no `=`.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = &'a str>) -> Result<Self, RowsError> {
        let mut map = BTreeMap::new();
        for pair in pairs.into_iter().map(str::trim) {
            if pair.is_empty() || pair.starts_with('#') {
                continue;
            }
            let (field, column) = pair
                .split_once('=')
                .ok_or_else(|| RowsError::Mapping(format!("{pair:?} is not field=Column")))?;
            let field = FIELDS
                .iter()
                .find(|f| f.eq_ignore_ascii_case(field.trim()))
                .ok_or_else(|| {
                    RowsError::Mapping(format!(
                        "unknown field {:?}; fields are {}",
                        field.trim(),
                        FIELDS.join(", ")
                    ))
                })?;
            map.insert(*field, column.trim().to_string());
        }
        Ok(Self(map))
    }

    fn column(&self, field: &'static str) -> &str {
        self.0.get(field).map_or(field, String::as_str)
    }
}

/// `,` or `;`: whichever the first line holds more of (outside quotes).
fn delimiter(data: &[u8]) -> u8 {
    let first = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for b in first {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// Every data row of `data` (a whole file) with `mapping` applied.
pub fn read(data: &[u8], mapping: &Mapping) -> Result<Vec<Row>, RowsError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(data))
        .flexible(true)
        .from_reader(data);
    // The line where a record starts, counted here: in CRLF files csv's own count
    // (and its position) is at the `\n` of the line before.
    let line_at = |byte: u64| {
        let mut start = usize::try_from(byte).map_or(data.len(), |b| b.min(data.len()));
        while data.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        1 + data[..start].iter().filter(|b| **b == b'\n').count() as u64
    };
    let unreadable = |e: csv::Error| RowsError::Unreadable {
        line: e.position().map_or(1, |p| line_at(p.byte())),
        reason: e.to_string(),
    };
    let headers = reader.headers().map_err(unreadable)?.clone();
    let index = |field: &'static str| {
        let column = mapping.column(field);
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(column))
    };
    for (field, column) in &mapping.0 {
        if index(field).is_none() {
            return Err(RowsError::Mapping(format!(
                "{field}={column}: the header has no column {column:?}"
            )));
        }
    }
    if index("email").is_none() {
        return Err(RowsError::Mapping(
            "no email column (name it email, or pass --map email=<Column>)".into(),
        ));
    }
    let columns: Vec<(&'static str, usize)> = FIELDS
        .iter()
        .filter_map(|f| index(f).map(|i| (*f, i)))
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(unreadable)?;
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let values = columns
            .iter()
            .filter_map(|(field, i)| {
                let value = record.get(*i)?.trim();
                (!value.is_empty()).then(|| (*field, value.to_string()))
            })
            .collect();
        rows.push(Row {
            line: record.position().map_or(0, |p| line_at(p.byte())),
            values,
        });
    }
    Ok(rows)
}

/// [`read`] of the file at `path`.
pub fn read_file(path: &Path, mapping: &Mapping) -> Result<Vec<Row>, RowsError> {
    read(&std::fs::read(path)?, mapping)
}
