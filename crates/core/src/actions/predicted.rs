//! Telling on this machine what applying a rendered object will do, where the live object
//! proves it, so the server's dry run can be spared: every value the render sets is already
//! live (lists element by element, of the same length), except entries of plain string maps —
//! labels, annotations, a ConfigMap's data — which the server stores as written; no other writer
//! owns an entry that changes; and a field Tenantry's last apply owns but the render no longer
//! sets is such an entry too (removed, or left to its co-owner). Anything else — a new image, a
//! quantity written another way, another writer's value — falls back to the dry run, which stays
//! the judge of defaults, admission, drift and conflicts.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use tenantry_model::FieldChange;

use super::diff;
use crate::labels::FIELD_MANAGER;

/// Where any list element stands in a field path: ownership is compared by field, not by list
/// key.
const ELEMENT: &str = "[]";

/// A field as a list of keys from the object's top.
type Path = Vec<String>;

/// The fields applying `render` over `live` (both as JSON) with field manager `tenantry` changes
/// (empty: none), when the live object proves them; `None` when only the server can tell.
pub fn predicted(render: &Value, live: &Value) -> Option<Vec<FieldChange>> {
    let (ours, others) = owners(live)?;
    let plain = |path: &[String]| plain_entry(render["kind"].as_str().unwrap_or_default(), path);
    let mut changed = Vec::new();
    if !compare(&mut Vec::new(), render, Some(live), &mut changed) {
        return None;
    }
    if changed.iter().any(|path| !plain(path) || others.contains(path)) {
        return None;
    }
    let rendered = rendered_fields(render, &ours);
    let dropped: Vec<&Path> = ours.difference(&rendered).collect();
    if dropped.iter().any(|path| !plain(path)) {
        return None;
    }
    let mut after = live.clone();
    for path in &changed {
        set(&mut after, path, lookup(render, path).cloned());
    }
    for path in dropped.into_iter().filter(|path| !others.contains(*path)) {
        set(&mut after, path, None);
    }
    Some(diff::field_changes(live, &after))
}

/// Whether `path` is an entry of a map of plain strings the server keeps as written.
fn plain_entry(kind: &str, path: &[String]) -> bool {
    match path {
        [metadata, map, _] => metadata == "metadata" && (map == "labels" || map == "annotations"),
        [data, _] => kind == "ConfigMap" && (data == "data" || data == "binaryData"),
        _ => false,
    }
}

/// Walks `render` against `live`, noting in `changed` each field whose value differs or is
/// missing; false when a difference cannot be told apart from a field (a list of another
/// length, a null, which removes).
fn compare(path: &mut Path, render: &Value, live: Option<&Value>, changed: &mut Vec<Path>) -> bool {
    match (render, live) {
        (Value::Null, _) => false,
        (Value::Object(wanted), None | Some(Value::Object(_))) if !(wanted.is_empty() && live.is_none()) => {
            let have = live.and_then(Value::as_object);
            wanted.iter().all(|(key, value)| {
                path.push(key.clone());
                let same = compare(path, value, have.and_then(|have| have.get(key)), changed);
                path.pop();
                same
            })
        }
        (Value::Array(wanted), Some(Value::Array(have))) if wanted.len() == have.len() => {
            wanted.iter().zip(have).enumerate().all(|(index, (value, live))| {
                path.push(format!("[{index}]"));
                let same = compare(path, value, Some(live), changed);
                path.pop();
                same
            })
        }
        (Value::Array(_), Some(Value::Array(_))) => false,
        (wanted, Some(have)) if wanted == have => true,
        _ => {
            changed.push(path.clone());
            true
        }
    }
}

/// The fields Tenantry's last apply owns in `live`, and those any other writer owns, each list
/// element as [`ELEMENT`]; `None` when Tenantry never applied it.
fn owners(live: &Value) -> Option<(BTreeSet<Path>, BTreeSet<Path>)> {
    let entries = live["metadata"]["managedFields"].as_array()?;
    let ours_entry = |entry: &Value| {
        entry["manager"] == FIELD_MANAGER
            && entry["operation"] == "Apply"
            && entry["subresource"].as_str().is_none_or(str::is_empty)
    };
    let mut ours = BTreeSet::new();
    let mut others = BTreeSet::new();
    let mut applied = false;
    for entry in entries {
        let Some(set) = entry["fieldsV1"].as_object() else { continue };
        if ours_entry(entry) {
            applied = true;
            walk_owned(&mut Vec::new(), set, &mut ours);
        } else {
            walk_owned(&mut Vec::new(), set, &mut others);
        }
    }
    applied.then_some((ours, others))
}

fn walk_owned(path: &mut Path, set: &Map<String, Value>, fields: &mut BTreeSet<Path>) {
    for (key, children) in set.iter().filter(|(key, _)| *key != ".") {
        path.push(key.strip_prefix("f:").unwrap_or(ELEMENT).to_owned());
        match children.as_object().filter(|c| c.keys().any(|k| k != ".")) {
            Some(children) => walk_owned(path, children, fields),
            None => {
                fields.insert(path.clone());
            }
        }
        path.pop();
    }
}

/// The fields `render` sets (without apiVersion, kind, name and namespace, which no
/// managed-fields entry lists), each list element as [`ELEMENT`]; a field `owned` holds as a
/// whole (an atomic list, a map set empty) ends there.
fn rendered_fields(render: &Value, owned: &BTreeSet<Path>) -> BTreeSet<Path> {
    let mut top = render.as_object().cloned().unwrap_or_default();
    top.remove("apiVersion");
    top.remove("kind");
    if let Some(metadata) = top.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("name");
        metadata.remove("namespace");
        if metadata.is_empty() {
            top.remove("metadata");
        }
    }
    let mut fields = BTreeSet::new();
    walk_rendered(&mut Vec::new(), &Value::Object(top), owned, &mut fields);
    fields
}

fn walk_rendered(path: &mut Path, value: &Value, owned: &BTreeSet<Path>, fields: &mut BTreeSet<Path>) {
    let whole = !path.is_empty() && owned.contains(path);
    match value {
        Value::Object(map) if !map.is_empty() && !whole => {
            for (key, child) in map {
                path.push(key.clone());
                walk_rendered(path, child, owned, fields);
                path.pop();
            }
        }
        Value::Array(items) if !items.is_empty() && !whole => {
            path.push(ELEMENT.to_owned());
            for item in items {
                walk_rendered(path, item, owned, fields);
            }
            path.pop();
        }
        _ => {
            fields.insert(path.clone());
        }
    }
}

/// The value at `path` (map keys only: plain entries hold no lists).
fn lookup<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, key| value.get(key))
}

/// Sets (or, with `None`, removes) the map entry at `path`, making the maps on the way.
fn set(value: &mut Value, path: &[String], new: Option<Value>) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut map = value;
    for key in parents {
        if !map[key.as_str()].is_object() {
            map[key.as_str()] = Value::Object(Map::new());
        }
        map = &mut map[key.as_str()];
    }
    if let Some(map) = map.as_object_mut() {
        match new {
            Some(new) => {
                map.insert(last.clone(), new);
            }
            None => {
                map.remove(last);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn render() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "app", "namespace": "t", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "template": {"spec": {
                    "containers": [{"name": "app", "image": "web:2", "args": ["--port", "80"]}],
                    "volumes": [{"name": "data", "emptyDir": {}}]
                }}
            }
        })
    }

    /// `render` as the server keeps it: defaults added, another writer's annotation, and the
    /// managed-fields entry Tenantry's apply of it left (`args` atomic, `emptyDir` set empty).
    fn live() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "app", "namespace": "t", "labels": {"app": "web"},
                "annotations": {"deployment.kubernetes.io/revision": "3"},
                "managedFields": [
                    {"manager": "kube-controller-manager", "operation": "Update",
                     "fieldsV1": {"f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}}}},
                    {"manager": "tenantry", "operation": "Apply", "fieldsV1": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {
                            "f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:name": {}, "f:image": {}, "f:args": {}}},
                            "f:volumes": {"k:{\"name\":\"data\"}": {".": {}, "f:name": {}, "f:emptyDir": {}}}
                        }}}
                    }}
                ]
            },
            "spec": {
                "replicas": 2,
                "strategy": {"type": "RollingUpdate"},
                "template": {"spec": {
                    "containers": [{"name": "app", "image": "web:2", "args": ["--port", "80"], "imagePullPolicy": "IfNotPresent"}],
                    "volumes": [{"name": "data", "emptyDir": {}}]
                }}
            },
            "status": {"replicas": 2}
        })
    }

    #[test]
    fn a_render_already_live_with_the_same_owned_fields_changes_nothing() {
        assert_eq!(predicted(&render(), &live()), Some(Vec::new()));
    }

    #[test]
    fn labels_and_annotations_are_predicted_field_by_field() {
        let mut labelled = render();
        labelled["metadata"]["labels"]["app"] = json!("shop");
        labelled["metadata"]["annotations"] = json!({"tenantry.io/revision": "4"});
        let changes = predicted(&labelled, &live()).expect("predicted");
        let paths: Vec<(&str, Option<&str>, Option<&str>)> =
            changes.iter().map(|c| (c.path.as_str(), c.before.as_deref(), c.after.as_deref())).collect();
        assert_eq!(
            paths,
            [
                ("metadata.annotations.tenantry.io/revision", None, Some("4")),
                ("metadata.labels.app", Some("web"), Some("shop"))
            ]
        );
        let mut dropped = render();
        dropped["metadata"]["labels"] = json!({"tier": "front"});
        let changes = predicted(&dropped, &live()).expect("a label no longer rendered is removed");
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["metadata.labels.app", "metadata.labels.tier"]);
    }

    #[test]
    fn what_only_the_server_can_tell_is_left_to_it() {
        let mut scaled = render();
        scaled["spec"]["replicas"] = json!(3);
        assert_eq!(predicted(&scaled, &live()), None, "a new value outside a plain map");
        let mut drifted = live();
        drifted["spec"]["template"]["spec"]["containers"][0]["image"] = json!("web:1");
        assert_eq!(predicted(&render(), &drifted), None, "another writer's value");
        let mut longer = live();
        longer["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["--port", "80", "-v"]);
        assert_eq!(predicted(&render(), &longer), None, "a list of another length");
        let mut quantity = render();
        quantity["spec"]["replicas"] = json!("2");
        assert_eq!(predicted(&quantity, &live()), None, "a value written another way");
        let mut theirs = render();
        theirs["metadata"]["annotations"] = json!({"deployment.kubernetes.io/revision": "9"});
        assert_eq!(predicted(&theirs, &live()), None, "an entry another writer owns would conflict");
        let mut no_volumes = render();
        no_volumes["spec"]["template"]["spec"].as_object_mut().expect("map").remove("volumes");
        assert_eq!(predicted(&no_volumes, &live()), None, "a field no longer rendered outside a plain map");
        let mut foreign = live();
        foreign["metadata"]["managedFields"][1]["manager"] = json!("kubectl");
        assert_eq!(predicted(&render(), &foreign), None, "no apply of Tenantry's");
        let mut removal = render();
        removal["metadata"]["labels"]["old"] = Value::Null;
        assert_eq!(predicted(&removal, &live()), None, "a null removes a field");
    }

    #[test]
    fn entries_of_a_map_the_live_object_lacks_are_predicted() {
        let mut annotated = render();
        annotated["metadata"]["annotations"] = json!({"note": "x"});
        let mut bare = live();
        bare["metadata"].as_object_mut().expect("map").remove("annotations");
        bare["metadata"]["managedFields"].as_array_mut().expect("list").remove(0);
        let changes = predicted(&annotated, &bare).expect("predicted");
        let shown: Vec<(&str, Option<&str>)> = changes.iter().map(|c| (c.path.as_str(), c.after.as_deref())).collect();
        assert_eq!(shown, [("metadata.annotations", Some(r#"{"note":"x"}"#))], "as the diff of a dry run shows it");
        let mut new_volume = render();
        new_volume["spec"]["template"]["spec"]["volumes"][0]["emptyDir"] = json!({});
        let mut no_dir = live();
        no_dir["spec"]["template"]["spec"]["volumes"][0].as_object_mut().expect("map").remove("emptyDir");
        assert_eq!(predicted(&new_volume, &no_dir), None, "an empty map set anew is the server's to tell");
    }

    #[test]
    fn a_configmaps_data_is_plain_a_secrets_is_not() {
        let owned = json!([{"manager": "tenantry", "operation": "Apply",
            "fieldsV1": {"f:data": {"f:1": {}, "f:2": {}}}}]);
        let live = |kind: &str| json!({"kind": kind, "metadata": {"name": "h", "managedFields": owned}, "data": {"1": "a", "2": "b"}});
        let render = |kind: &str| json!({"kind": kind, "metadata": {"name": "h"}, "data": {"2": "b", "3": "c"}});
        let changes = predicted(&render("ConfigMap"), &live("ConfigMap")).expect("predicted");
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["data.1", "data.3"]);
        assert_eq!(predicted(&render("Secret"), &live("Secret")), None);
    }
}
