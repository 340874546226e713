//! JSON that cannot mean two things: a parse that notes the first duplicate key at
//! any depth. serde_json keeps the last of two equal keys, so `{"email": "a@…",
//! "email": "b@…"}` would silently onboard `b@…`, while the sender's parser may have
//! read `a@…`. Used as the Lambda payload type (the runtime parses the invocation
//! into it) and for webhook bodies.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::hr::FieldError;

/// A parsed JSON value and the path of its first duplicate key, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct StrictJson {
    value: Value,
    duplicate: Option<String>,
}

impl StrictJson {
    /// The value, or a [`FieldError`] naming the first duplicate key's path
    /// (`employee.email`, `employees[1].tags.Team`).
    pub fn into_value(self) -> Result<Value, FieldError> {
        match self.duplicate {
            None => Ok(self.value),
            Some(path) => Err(FieldError::new(
                path,
                "duplicate key: each key may appear only once in an object",
            )),
        }
    }
}

/// A value built in code has no duplicates.
impl From<Value> for StrictJson {
    fn from(value: Value) -> Self {
        Self {
            value,
            duplicate: None,
        }
    }
}

impl Serialize for StrictJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for StrictJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let duplicate = RefCell::new(None);
        let value = Node {
            path: String::new(),
            duplicate: &duplicate,
        }
        .deserialize(deserializer)?;
        Ok(Self {
            value,
            duplicate: duplicate.into_inner(),
        })
    }
}

/// One value at `path`, recording the first duplicate key seen anywhere.
struct Node<'a> {
    path: String,
    duplicate: &'a RefCell<Option<String>>,
}

impl Node<'_> {
    fn child(&self, path: String) -> Self {
        Node {
            path,
            duplicate: self.duplicate,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) =
            seq.next_element_seed(self.child(format!("{}[{}]", self.path, items.len())))?
        {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            let value = map.next_value_seed(self.child(path.clone()))?;
            if object.contains_key(&key) {
                self.duplicate.borrow_mut().get_or_insert(path);
            } else {
                object.insert(key, value);
            }
        }
        Ok(Value::Object(object))
    }
}

/// Parses `bytes` as [`StrictJson`] (syntax errors as serde_json reports them).
pub fn from_slice(bytes: &[u8]) -> Result<StrictJson, serde_json::Error> {
    serde_json::from_slice(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_number_reads_as_the_sender_wrote_it_and_writes_back_the_same() {
        // Found by make fuzz (fuzz/regressions/strict_json/float-45e109): without
        // serde_json's float_roundtrip, 45e109 read as 4.4999999999999996e110.
        for text in ["45e109", "4410.5", "0.1", "1e-7", "1.7976931348623157e308"] {
            let value = from_slice(text.as_bytes()).unwrap().into_value().unwrap();
            let written = serde_json::to_string(&value).unwrap();
            let again = from_slice(written.as_bytes())
                .unwrap()
                .into_value()
                .unwrap();
            assert_eq!(again, value, "{text} -> {written}");
            assert_eq!(value.as_f64(), text.parse::<f64>().ok(), "{text}");
        }
    }

    fn duplicate(text: &str) -> Option<String> {
        from_slice(text.as_bytes())
            .unwrap()
            .into_value()
            .err()
            .map(|e| e.field)
    }

    #[test]
    fn names_the_first_duplicate_key_at_any_depth() {
        for (text, path) in [
            (
                r#"{"employee": {"email": "a@example.org", "email": "b@example.org"}}"#,
                "employee.email",
            ),
            (
                r#"{"employee": {"email": "a@example.org"}, "employee": {"email": "b@example.org"}}"#,
                "employee",
            ),
            (
                r#"{"employees": [{"email": "a@x.org"}, {"email": "b@x.org", "tags": {"T": "1", "T": "2"}}]}"#,
                "employees[1].tags.T",
            ),
            (
                r#"{"detail": {"email": "a@x.org", "givenName": "A", "givenName": "B"}}"#,
                "detail.givenName",
            ),
        ] {
            assert_eq!(duplicate(text).as_deref(), Some(path), "{text}");
        }
    }

    #[test]
    fn keeps_everything_else_as_serde_json_parses_it() {
        let text = r#"{"a": [1, -2, 3.5, true, null, "x", {"b": {}}], "c": {"d": "e"}, "big": 18446744073709551615}"#;
        let strict = from_slice(text.as_bytes()).unwrap().into_value().unwrap();
        let plain: Value = serde_json::from_str(text).unwrap();
        assert_eq!(strict, plain);
        assert_eq!(
            StrictJson::from(json!({"k": 1})).into_value().unwrap(),
            json!({"k": 1})
        );
        // Equal keys in different objects are not duplicates.
        assert_eq!(
            duplicate(r#"{"a": {"k": 1}, "b": {"k": 1}, "k": [{"k": 1}]}"#),
            None
        );
        assert!(from_slice(b"{\"a\": ").is_err());
    }
}
