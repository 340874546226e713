//! The IAM credential report (`hygiene::report::parse_report`) on arbitrary bytes.
//!
//! Invariants: no panic; every row has the path of its ARN (`path_of`, beginning
//! and ending with `/`) and is not the `<root_account>` row; there are no more rows
//! than records; and the rows, written back as a report of the columns the sweep
//! reads (dates as RFC 3339 in UTC), parse to the same rows.
#![no_main]

use chrono::{DateTime, Datelike};
use iam_onboarding::hygiene::report::{COLUMNS, UserRow, parse_report, path_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = parse_report(data) else {
        return;
    };
    let records = data.iter().filter(|b| **b == b'\n' || **b == b'\r').count() + 1;
    assert!(rows.len() <= records, "{} rows from {records} lines", rows.len());
    for row in &rows {
        assert_ne!(row.user, "<root_account>");
        assert_eq!(path_of(&row.arn), Some(row.path.as_str()));
        assert!(row.path.starts_with('/') && row.path.ends_with('/'), "{:?}", row.path);
    }
    // Written back: only when every date has a four-digit year in UTC (RFC 3339's
    // form; a `+23:59` offset can move 9999-12-31 into year 10000).
    let Some(written) = write(&rows) else {
        return;
    };
    let again = parse_report(&written).expect("the rows written back parse");
    assert_eq!(again, rows, "written back as {:?}", String::from_utf8_lossy(&written));
});

fn write(rows: &[UserRow]) -> Option<Vec<u8>> {
    let date = |t: Option<i64>| -> Option<String> {
        match t {
            None => Some("N/A".into()),
            Some(t) => {
                let at = DateTime::from_timestamp(t, 0)?;
                (0..=9999).contains(&at.year()).then(|| at.to_rfc3339())
            }
        }
    };
    let flag = |b: bool| if b { "true" } else { "false" }.to_string();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(COLUMNS).ok()?;
    for row in rows {
        let mut record = vec![
            row.user.clone(),
            row.arn.clone(),
            date(Some(row.created_at))?,
            flag(row.password_enabled),
            date(row.password_last_used)?,
            date(row.password_last_changed)?,
            flag(row.mfa_active),
        ];
        for key in &row.keys {
            record.extend([flag(key.active), date(key.created_at)?, date(key.last_used)?]);
        }
        out.write_record(&record).ok()?;
    }
    out.into_inner().ok()
}
