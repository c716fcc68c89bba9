//! Partial edits, as a PATCH or a console form sends them: the fields given replace the
//! current ones, and the whole is read again, so a bad field is named as on a create.

use serde_json::Value;

/// `current` with the fields of `patch` (a JSON object) replacing its own; the error names
/// the field that does not fit.
pub fn patched<T>(current: &T, patch: &Value) -> Result<T, String>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let mut merged = serde_json::to_value(current).map_err(|e| e.to_string())?;
    let (Some(fields), Some(patch)) = (merged.as_object_mut(), patch.as_object()) else {
        return Err("send a JSON object".into());
    };
    fields.extend(patch.clone());
    serde_path_to_error::deserialize(merged).map_err(|e| match e.path().to_string() {
        path if path == "." => e.into_inner().to_string(),
        path => format!("{path}: {}", e.into_inner()),
    })
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Thing {
        name: String,
        count: u32,
    }

    #[test]
    fn given_fields_replace_the_current_ones() {
        let current = Thing {
            name: "a".into(),
            count: 1,
        };
        let cases = [
            (
                json!({"count": 2}),
                Ok(Thing {
                    name: "a".into(),
                    count: 2,
                }),
            ),
            (
                json!({}),
                Ok(Thing {
                    name: "a".into(),
                    count: 1,
                }),
            ),
            (json!({"count": "two"}), Err("count")),
            (json!({"colour": "red"}), Err("colour")),
            (json!([1]), Err("JSON object")),
        ];
        for (patch, expected) in cases {
            let got = super::patched(&current, &patch);
            match expected {
                Ok(thing) => assert_eq!(got, Ok(thing), "{patch}"),
                Err(named) => {
                    let e = got.expect_err(&patch.to_string());
                    assert!(e.contains(named), "{patch}: {e}");
                }
            }
        }
    }
}
