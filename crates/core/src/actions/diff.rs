//! Field-level differences between an object as it is and as the server's dry run says it will
//! be, without the fields the server keeps for itself and with secret values hidden.

use serde_json::Value;
use tenantry_model::FieldChange;

/// Metadata fields the server maintains; they change on every write and mean nothing to users.
const SERVER_METADATA: [&str; 6] =
    ["managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink"];
/// Shown instead of a secret value.
const HIDDEN: &str = "(hidden)";

/// The fields that differ between `before` and `after`, sorted by path; the values under
/// `data` and `stringData` of a Secret are hidden.
pub fn field_changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    let secret = after["kind"] == "Secret" || before["kind"] == "Secret";
    let mut changes = Vec::new();
    walk("", &without_server_fields(before), &without_server_fields(after), &mut changes);
    if secret {
        for change in &mut changes {
            if change.path.starts_with("data") || change.path.starts_with("stringData") {
                change.before = change.before.as_ref().map(|_| HIDDEN.to_owned());
                change.after = change.after.as_ref().map(|_| HIDDEN.to_owned());
            }
        }
    }
    changes
}

/// The differences between two plain values (e.g. two tenant specs), paths under `prefix`.
pub fn value_changes(prefix: &str, before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    walk(prefix, before, after, &mut changes);
    changes
}

fn without_server_fields(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(fields) = object.as_object_mut() {
        fields.remove("status");
        if let Some(metadata) = fields.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in SERVER_METADATA {
                metadata.remove(field);
            }
        }
    }
    object
}

fn walk(path: &str, before: &Value, after: &Value, changes: &mut Vec<FieldChange>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                walk(&child, old.get(key).unwrap_or(&Value::Null), new.get(key).unwrap_or(&Value::Null), changes);
            }
        }
        (Value::Array(old), Value::Array(new)) if old.len() == new.len() => {
            for (index, (old, new)) in old.iter().zip(new).enumerate() {
                walk(&format!("{path}[{index}]"), old, new, changes);
            }
        }
        _ => changes.push(FieldChange { path: path.to_owned(), before: shown(before), after: shown(after) }),
    }
}

/// A value as the preview prints it: strings bare, the rest as compact JSON, null as absent.
fn shown(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn change(path: &str, before: Option<&str>, after: Option<&str>) -> FieldChange {
        FieldChange { path: path.into(), before: before.map(Into::into), after: after.map(Into::into) }
    }

    #[test]
    fn nested_changes_get_paths_and_server_fields_are_ignored() {
        let before = json!({
            "kind": "Deployment",
            "metadata": {"name": "app", "resourceVersion": "1", "generation": 1, "labels": {"a": "1"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "app", "image": "web:1"}]}}},
            "status": {"readyReplicas": 2}
        });
        let after = json!({
            "kind": "Deployment",
            "metadata": {"name": "app", "resourceVersion": "2", "generation": 2, "labels": {"a": "1", "b": "2"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "app", "image": "web:2"}]}}},
            "status": {"readyReplicas": 0}
        });
        assert_eq!(
            field_changes(&before, &after),
            [
                change("metadata.labels.b", None, Some("2")),
                change("spec.replicas", Some("2"), Some("3")),
                change("spec.template.spec.containers[0].image", Some("web:1"), Some("web:2")),
            ]
        );
        assert!(field_changes(&before, &before).is_empty());
    }

    #[test]
    fn plain_values_diff_under_a_prefix() {
        let changes =
            value_changes("tenant", &json!({"replicas": 2, "plan": "small"}), &json!({"replicas": 3, "plan": "small"}));
        assert_eq!(changes, [change("tenant.replicas", Some("2"), Some("3"))]);
    }

    #[test]
    fn lists_of_another_length_change_as_a_whole() {
        let before = json!({"spec": {"rules": [{"host": "a"}]}});
        let after = json!({"spec": {"rules": [{"host": "a"}, {"host": "b"}]}});
        assert_eq!(
            field_changes(&before, &after),
            [change("spec.rules", Some(r#"[{"host":"a"}]"#), Some(r#"[{"host":"a"},{"host":"b"}]"#))]
        );
    }

    #[test]
    fn secret_values_are_hidden() {
        let before = json!({"kind": "Secret", "data": {"PASSWORD": "b2xk"}});
        let after = json!({"kind": "Secret", "data": {"PASSWORD": "bmV3", "TOKEN": "dA=="}});
        let changes = field_changes(&before, &after);
        assert_eq!(
            changes,
            [change("data.PASSWORD", Some("(hidden)"), Some("(hidden)")), change("data.TOKEN", None, Some("(hidden)"))]
        );
    }
}
