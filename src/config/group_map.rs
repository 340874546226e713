//! `HR_GROUP_MAP`: allowed groups per department, for HR-system connectors.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::hr::GroupName;

/// Allowed groups per department (`HR_GROUP_MAP`, JSON such as
/// `{"Engineering": ["developers", "readers"]}`); departments match whatever
/// their letter case and surrounding spaces. Empty when unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupMap(BTreeMap<String, Vec<String>>);

fn department_key(department: &str) -> String {
    department.trim().to_lowercase()
}

impl GroupMap {
    /// Reads `raw`. Errors (the reason, never the value): not a JSON object of
    /// lists of group names, a department twice (in any case), or a group that is
    /// not in `allowed` (the allow-list bounds HR data too).
    pub fn parse(raw: &str, allowed: &[GroupName]) -> Result<Self, String> {
        let object: BTreeMap<String, Vec<String>> = serde_json::from_str(raw).map_err(|_| {
            "must be a JSON object of department names to lists of group names, like \
             {\"Engineering\": [\"developers\"]}"
                .to_string()
        })?;
        let mut map = BTreeMap::new();
        for (department, groups) in object {
            for group in &groups {
                if !allowed.iter().any(|a| a.as_str() == group) {
                    return Err(format!(
                        "department {department:?} names group {group:?}, which is not in ALLOWED_GROUPS"
                    ));
                }
            }
            if map.insert(department_key(&department), groups).is_some() {
                return Err(format!("department {department:?} appears twice"));
            }
        }
        Ok(Self(map))
    }

    /// Sets `employee.groups` from its `department` when the map names that
    /// department; leaves it as it is otherwise.
    pub fn apply(&self, employee: &mut Value) {
        let groups = employee
            .get("department")
            .and_then(Value::as_str)
            .and_then(|d| self.0.get(&department_key(d)));
        if let Some(groups) = groups {
            employee["groups"] = json!(groups);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<GroupName> {
        ["developers", "readers"]
            .map(|g| GroupName::parse(g).unwrap())
            .to_vec()
    }

    #[test]
    fn maps_a_department_to_its_groups_in_any_case() {
        let map = GroupMap::parse(
            r#"{"Engineering": ["developers", "readers"], "Sales": []}"#,
            &allowed(),
        )
        .unwrap();
        let mut employee = json!({"email": "a@example.com", "department": " engineering "});
        map.apply(&mut employee);
        assert_eq!(employee["groups"], json!(["developers", "readers"]));
        let mut other = json!({"department": "Finance", "groups": ["readers"]});
        map.apply(&mut other);
        assert_eq!(
            other["groups"],
            json!(["readers"]),
            "an unmapped department keeps its groups"
        );
        let mut sales = json!({"department": "SALES"});
        map.apply(&mut sales);
        assert_eq!(sales["groups"], json!([]));
    }

    #[test]
    fn refuses_groups_outside_the_allow_list_and_malformed_maps() {
        let outside = GroupMap::parse(r#"{"IT": ["admins"]}"#, &allowed()).unwrap_err();
        assert!(
            outside.contains("\"admins\"") && outside.contains("ALLOWED_GROUPS"),
            "{outside}"
        );
        for raw in [
            "[]",
            "{\"IT\": \"developers\"}",
            "not json",
            "{\"IT\": [1]}",
        ] {
            assert!(
                GroupMap::parse(raw, &allowed())
                    .unwrap_err()
                    .contains("JSON object"),
                "{raw}"
            );
        }
        let twice = GroupMap::parse(r#"{"IT": ["readers"], "it": ["developers"]}"#, &allowed())
            .unwrap_err();
        assert!(twice.contains("twice"), "{twice}");
    }
}
