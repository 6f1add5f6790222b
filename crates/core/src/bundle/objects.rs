//! Every object of a tenant's namespace as YAML for an escalation bundle: each namespaced kind
//! the cluster serves and the identity may list, managedFields and kubectl's applied copy
//! dropped, Secrets by name and key names only, and credential-named environment values blanked.

use kube::api::{Api, DynamicObject, ListParams};
use kube::discovery::{Discovery, Scope, verbs};
use serde_json::Value;

/// What stands where a value was left out.
pub const LEFT_OUT: &str = "(value not included)";
/// The annotation where `kubectl apply` keeps a whole copy of the object (a Secret's values too).
const APPLIED_COPY: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Kinds listed elsewhere in the bundle (events) or not worth a file.
const SKIPPED: [&str; 2] = ["Event", "Binding"];

/// The namespace's objects, as `(file name, YAML)`, and the kinds that could not be read, each
/// with why.
pub async fn dump(client: &kube::Client, namespace: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    match Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone()).get(namespace).await {
        Ok(object) => {
            let mut value = serde_json::to_value(&object).unwrap_or(Value::Null);
            value["apiVersion"] = Value::String("v1".into());
            value["kind"] = Value::String("Namespace".into());
            clean(&mut value);
            files.push((
                format!("objects/Namespace/{}.yaml", safe(namespace)),
                serde_yaml::to_string(&value).unwrap_or_default(),
            ));
        }
        Err(error) => unreadable.push(format!("Namespace: {}", crate::error::chain(&error))),
    }
    let discovery = match Discovery::new(client.clone()).run().await {
        Ok(discovery) => discovery,
        Err(error) => {
            return (files, vec![format!("the cluster's kinds cannot be listed: {}", crate::error::chain(&error))]);
        }
    };
    for group in discovery.groups() {
        for (resource, capabilities) in group.recommended_resources() {
            if capabilities.scope != Scope::Namespaced
                || !capabilities.supports_operation(verbs::LIST)
                || SKIPPED.contains(&resource.kind.as_str())
            {
                continue;
            }
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
            match api.list(&ListParams::default()).await {
                Ok(list) => {
                    for object in list.items {
                        let name = object.metadata.name.clone().unwrap_or_default();
                        let mut value = serde_json::to_value(&object).unwrap_or(Value::Null);
                        value["apiVersion"] = Value::String(resource.api_version.clone());
                        value["kind"] = Value::String(resource.kind.clone());
                        clean(&mut value);
                        let yaml = serde_yaml::to_string(&value).unwrap_or_default();
                        files.push((format!("objects/{}/{}.yaml", resource.kind, safe(&name)), yaml));
                    }
                }
                Err(kube::Error::Api(status)) if status.code == 403 => {
                    unreadable.push(format!("{}: this identity may not list them", resource.kind));
                }
                Err(kube::Error::Api(status)) if status.code == 404 || status.code == 405 => {}
                Err(error) => unreadable.push(format!("{}: {}", resource.kind, crate::error::chain(&error))),
            }
        }
    }
    (files, unreadable)
}

/// `object` without what an engineer does not need and what must not leave the cluster:
/// managedFields and kubectl's applied copy; a Secret's values (its key names stay); the values
/// of environment variables named like credentials.
pub fn clean(object: &mut Value) {
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
        if let Some(annotations) = metadata.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove(APPLIED_COPY);
        }
    }
    if object["kind"] == "Secret" {
        for part in ["data", "stringData"] {
            if let Some(values) = object.get_mut(part).and_then(Value::as_object_mut) {
                for value in values.values_mut() {
                    *value = Value::String(LEFT_OUT.to_owned());
                }
            }
        }
    }
    blank_credential_env(object);
}

/// Blanks `value` of every `env` entry named like a credential, anywhere in `object`.
fn blank_credential_env(object: &mut Value) {
    match object {
        Value::Object(fields) => {
            if let Some(Value::Array(env)) = fields.get_mut("env") {
                for variable in env.iter_mut() {
                    let named_secret = variable["name"].as_str().is_some_and(crate::actions::is_secret);
                    if named_secret && variable.get("value").is_some() {
                        variable["value"] = Value::String(LEFT_OUT.to_owned());
                    }
                }
            }
            fields.values_mut().for_each(blank_credential_env);
        }
        Value::Array(items) => items.iter_mut().for_each(blank_credential_env),
        _ => {}
    }
}

/// A name as a file name: letters, digits, dots, dashes and underscores.
pub fn safe(name: &str) -> String {
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() { "_".to_owned() } else { safe.to_owned() }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_secret_keeps_its_key_names_and_loses_its_values_and_applied_copy() {
        let mut secret = json!({
            "kind": "Secret",
            "metadata": {"name": "db", "managedFields": [{"manager": "kubectl"}],
                         "annotations": {APPLIED_COPY: "{\"data\":{\"password\":\"aHVudGVyMg==\"}}", "team": "shop"}},
            "data": {"password": "aHVudGVyMg==", "user": "c2hvcA=="},
            "stringData": {"token": "s3cr3t-t0ken"},
        });
        clean(&mut secret);
        let text = secret.to_string();
        assert!(!text.contains("aHVudGVyMg") && !text.contains("s3cr3t") && !text.contains("managedFields"), "{text}");
        assert_eq!(secret["data"]["user"], LEFT_OUT);
        assert_eq!(secret["metadata"]["annotations"]["team"], "shop");
    }

    #[test]
    fn credential_named_environment_values_are_blanked_others_kept() {
        let mut deployment = json!({
            "kind": "Deployment",
            "spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
                {"name": "DB_PASSWORD", "value": "hunter2-long"},
                {"name": "SITE_NAME", "value": "Maple"},
                {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "t", "key": "k"}}},
            ]}]}}}
        });
        clean(&mut deployment);
        let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(env[0]["value"], LEFT_OUT);
        assert_eq!(env[1]["value"], "Maple");
        assert!(env[2].get("value").is_none());
    }

    #[test]
    fn names_become_safe_file_names() {
        assert_eq!(safe("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe("app-7f9c"), "app-7f9c");
        assert_eq!(safe(""), "_");
    }
}
