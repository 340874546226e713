//! The CSV reader and checker against what real HR exports look like: a BOM,
//! CRLF, `;` separators, quoted separators and line breaks, a blank trailing
//! line, the same person twice in different letter case, mapped column names;
//! every refused row names its line and field.

use iam_onboarding::hr::GroupName;
use iam_onboarding_import::check::check;
use iam_onboarding_import::rows::{Mapping, read};

fn groups() -> Vec<GroupName> {
    ["developers", "readers"]
        .map(|g| GroupName::parse(g).unwrap())
        .to_vec()
}

#[test]
fn a_spreadsheet_export_with_bom_crlf_semicolons_and_quotes_reads_row_by_row() {
    let data = "\u{feff}email;givenName;familyName;employeeId;department;groups\r\n\
                jane.doe@example.com;Jane;Doe;E-1;\"R&D; Platform\";developers\r\n\
                \"li.wei@example.com\";Wei;\"Li\r\nSecond line\";E-2;Ops;\"developers|readers\"\r\n\
                \r\n";
    let rows = read(data.as_bytes(), &Mapping::default()).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].line, 2);
    assert_eq!(
        rows[0].values["email"], "jane.doe@example.com",
        "the BOM is not part of the header"
    );
    assert_eq!(rows[0].values["department"], "R&D; Platform");
    assert_eq!(rows[1].line, 3);
    assert_eq!(rows[1].values["familyName"], "Li\r\nSecond line");
    let checked = check(&rows, &groups());
    // A family name with a line break is refused by the function's own rules.
    assert_eq!(checked.accepted.len() + checked.refused.len(), 2);
    assert_eq!(checked.accepted[0].line, 2);
    assert_eq!(
        checked.accepted[0].body["employee"]["groups"],
        serde_json::json!(["developers"])
    );
}

#[test]
fn commas_quoted_fields_and_a_blank_last_line() {
    let data = "email,givenName,department,groups\n\
                ana@example.com,Ana,\"Finance, EMEA\",\"developers,readers\"\n\
                ben@example.com,Ben,,\n\n";
    let rows = read(data.as_bytes(), &Mapping::default()).unwrap();
    assert_eq!(rows.len(), 2);
    let checked = check(&rows, &groups());
    assert!(checked.refused.is_empty(), "{:?}", checked.refused);
    assert_eq!(
        checked.accepted[0].body["employee"]["groups"],
        serde_json::json!(["developers", "readers"])
    );
    assert!(
        checked.accepted[1].body["employee"]
            .get("department")
            .is_none(),
        "empty cells are absent"
    );
}

#[test]
fn every_refused_row_names_its_line_and_field() {
    let data = "email,username,groups\n\
                jane.doe@example.com,,\n\
                not-an-address,,\n\
                JANE.DOE@EXAMPLE.COM,,\n\
                kim@example.com,,admins\n\
                lee@example.com,jane.doe,\n";
    let rows = read(data.as_bytes(), &Mapping::default()).unwrap();
    let checked = check(&rows, &groups());
    assert_eq!(checked.accepted.len(), 1);
    let refused: Vec<(u64, &str)> = checked
        .refused
        .iter()
        .map(|r| (r.line, r.field.as_str()))
        .collect();
    assert_eq!(
        refused,
        [
            (3, "email"),
            (4, "email"),
            (5, "groups[0]"),
            (6, "username")
        ],
        "{:?}",
        checked.refused
    );
    assert!(
        checked.refused[1].reason.contains("line 2"),
        "{:?}",
        checked.refused[1]
    );
}

#[test]
fn mapped_columns_and_mapping_errors() {
    let data = "Work Email;First Name;Personnel No\nana@example.com;Ana;P-7\n";
    let mapping = Mapping::parse([
        "email=Work Email",
        "givenName=First Name",
        "employeeId=Personnel No",
    ])
    .unwrap();
    let rows = read(data.as_bytes(), &mapping).unwrap();
    assert_eq!(rows[0].values["givenName"], "Ana");
    assert_eq!(rows[0].values["employeeId"], "P-7");
    assert!(
        Mapping::parse(["mail=Work Email"])
            .unwrap_err()
            .to_string()
            .contains("unknown field")
    );
    let missing = Mapping::parse(["email=E-mail"]).unwrap();
    assert!(
        read(data.as_bytes(), &missing)
            .unwrap_err()
            .to_string()
            .contains("no column")
    );
    assert!(
        read(b"name\nx\n", &Mapping::default())
            .unwrap_err()
            .to_string()
            .contains("no email column")
    );
}

#[test]
fn bad_bytes_are_an_error_with_a_line_not_a_panic() {
    let err = read(
        b"email\nok@example.com\n\xff\xfe@example.com\n",
        &Mapping::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("line 3"), "{err}");
}
