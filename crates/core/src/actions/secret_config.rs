//! Config values that are secrets. A config key named like a credential (`DB_PASSWORD`,
//! `API_TOKEN`, `STRIPE_SECRET_KEY`…) holds a secret: its value goes only to the tenant's Secret
//! `tenantry-secret-config`, never to the spec annotation, the history, the journal, the audit or
//! the preview. The spec keeps, per secret key, a stamp of when it was set (a new stamp rolls the
//! app out). While an action runs, its values wait in the OS keyring under a random name that the
//! journaled request carries in their place, so a resumed action still has them; the entry is
//! removed when the action succeeds or is refused.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams, PostParams};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};
use tenantry_model::{ActionRequest, Change, FieldChange, ObjectChange, Operation, TenantSpec};

use crate::labels::{FIELD_MANAGER, MANAGED_BY, TENANT_LABEL};
use crate::secrets::{Keyring, SecretError};

/// The tenant's Secret holding its secret config values.
pub const SECRET_NAME: &str = "tenantry-secret-config";
/// What a journaled request holds in place of a secret value: this, then the keyring entry's
/// name (a NUL cannot be typed, so no user value looks like it).
const HELD: &str = "\u{0}held-in-keyring:";
/// Words that make a config key a secret one.
const SECRET_WORDS: [&str; 7] = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY", "CREDENTIAL"];
/// How a secret value shows in a preview.
const HIDDEN: &str = "(secret, hidden)";

/// Whether config key `key` holds a secret (by its name).
pub fn is_secret(key: &str) -> bool {
    let upper = key.to_ascii_uppercase().replace(['-', '.'], "_");
    SECRET_WORDS.iter().any(|word| upper.contains(word))
}

/// The config map `change` sets, if any.
fn config_of(change: &mut Change) -> Option<&mut BTreeMap<String, String>> {
    match change {
        Change::Create { spec } => Some(&mut spec.config),
        Change::Update { config: Some(config), .. } => Some(config),
        _ => None,
    }
}

/// `request` with each secret value replaced by a reference to keyring entry `entry`, and the
/// values taken out.
fn split(request: &ActionRequest, entry: &str) -> (ActionRequest, BTreeMap<String, String>) {
    let mut stripped = request.clone();
    let mut values = BTreeMap::new();
    if let Some(config) = config_of(&mut stripped.change) {
        for (key, value) in config.iter_mut().filter(|(key, value)| is_secret(key) && !value.is_empty()) {
            if !value.starts_with(HELD) {
                values.insert(key.clone(), std::mem::replace(value, format!("{HELD}{entry}")));
            }
        }
    }
    (stripped, values)
}

/// The secret values a preview of `request` is planned with (none are kept anywhere), and the
/// request without them.
pub fn for_preview(request: &ActionRequest) -> (ActionRequest, BTreeMap<String, String>) {
    split(request, "preview")
}

/// Puts the secret values of `request` into the OS keyring and returns the request to journal
/// (each value replaced by a reference to that entry) with the values; a request from the
/// journal (a resume) gets its values back from the keyring.
pub fn hold(request: &ActionRequest) -> Result<(ActionRequest, BTreeMap<String, String>), SecretError> {
    let entry = random_name();
    let (stripped, values) = split(request, &entry);
    if values.is_empty() {
        let values = recall(&stripped)?;
        return Ok((stripped, values));
    }
    let json = serde_json::to_string(&values).unwrap_or_default();
    Keyring::system().store_entry(&pending_account(&entry), &SecretString::from(json))?;
    Ok((stripped, values))
}

/// The secret values a journaled `request` refers to, read back from the OS keyring.
fn recall(request: &ActionRequest) -> Result<BTreeMap<String, String>, SecretError> {
    let Some(entry) = held_entry(request) else { return Ok(BTreeMap::new()) };
    let json = Keyring::system().entry(&pending_account(&entry))?;
    Ok(serde_json::from_str(json.expose_secret()).unwrap_or_default())
}

/// Removes the keyring entry `request` refers to (the action is over).
pub fn release(request: &ActionRequest) {
    if let Some(entry) = held_entry(request)
        && let Err(error) = Keyring::system().forget_entry(&pending_account(&entry))
    {
        tracing::warn!(error = %crate::error::chain(&error), "a held secret value stays in the keyring");
    }
}

fn held_entry(request: &ActionRequest) -> Option<String> {
    let mut change = request.change.clone();
    let config = config_of(&mut change)?;
    config.values().find_map(|value| value.strip_prefix(HELD).map(str::to_owned))
}

fn pending_account(entry: &str) -> String {
    format!("pending-secret-config/{entry}")
}

fn random_name() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        return format!("{}-{}", std::process::id(), jiff::Timestamp::now().as_nanosecond());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The spec's secret keys after `config` was asked for: a non-empty value sets the key (a new
/// stamp), an empty one removes it, and a secret key the map does not name stays as it was.
/// Returns the non-secret part of `config`.
pub fn apply_config(spec: &mut TenantSpec, config: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let stamp = jiff::Timestamp::now().to_string();
    for (key, value) in config.iter().filter(|(key, _)| is_secret(key)) {
        if value.is_empty() {
            spec.secret_config.remove(key);
        } else {
            spec.secret_config.insert(key.clone(), stamp.clone());
        }
    }
    config.iter().filter(|(key, _)| !is_secret(key)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// What an action writes to the tenant's Secret.
#[derive(Debug, Clone, Default)]
pub struct SecretWrite {
    /// Keys set, with their values.
    pub set: BTreeMap<String, String>,
    /// Keys removed.
    pub removed: Vec<String>,
}

impl SecretWrite {
    /// The write from `now` to `next` with `values` typed for this action; `None` when the
    /// Secret stays as it is.
    pub fn between(now: Option<&TenantSpec>, next: &TenantSpec, values: &BTreeMap<String, String>) -> Option<Self> {
        let before = now.map(|spec| &spec.secret_config);
        let set: BTreeMap<String, String> =
            next.secret_config.keys().filter_map(|key| Some((key.clone(), values.get(key)?.clone()))).collect();
        let removed: Vec<String> = before
            .into_iter()
            .flat_map(|b| b.keys())
            .filter(|key| !next.secret_config.contains_key(*key))
            .cloned()
            .collect();
        (!set.is_empty() || !removed.is_empty()).then_some(Self { set, removed })
    }

    /// The Secret's change as the preview shows it: key names, never values.
    pub fn shown(&self, now: Option<&TenantSpec>) -> ObjectChange {
        let had = |key: &str| now.is_some_and(|spec| spec.secret_config.contains_key(key));
        let mut fields: Vec<FieldChange> = self
            .set
            .keys()
            .map(|key| FieldChange {
                path: format!("data.{key}"),
                before: had(key).then(|| HIDDEN.to_owned()),
                after: Some(format!("{HIDDEN}, new value")),
            })
            .collect();
        fields.extend(self.removed.iter().map(|key| FieldChange {
            path: format!("data.{key}"),
            before: Some(HIDDEN.to_owned()),
            after: None,
        }));
        let exists = now.is_some_and(|spec| !spec.secret_config.is_empty());
        ObjectChange {
            kind: "Secret".into(),
            name: SECRET_NAME.into(),
            operation: if exists { Operation::Update } else { Operation::Create },
            fields,
            drift: Vec::new(),
        }
    }

    /// Writes the values into tenant `id`'s Secret (created if missing).
    pub async fn write(&self, client: &kube::Client, id: &str) -> Result<(), kube::Error> {
        let secrets = Api::<Secret>::namespaced(client.clone(), id);
        let removed: serde_json::Map<String, Value> = self.removed.iter().map(|k| (k.clone(), Value::Null)).collect();
        if secrets.get_opt(SECRET_NAME).await?.is_some() {
            let patch = json!({"stringData": self.set, "data": removed});
            let params = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..PatchParams::default() };
            secrets.patch(SECRET_NAME, &params, &Patch::Merge(&patch)).await?;
            return Ok(());
        }
        let secret: Secret = serde_json::from_value(json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": SECRET_NAME, "namespace": id, "labels": {TENANT_LABEL: id, MANAGED_BY.0: MANAGED_BY.1}},
            "type": "Opaque",
            "stringData": self.set,
        }))
        .map_err(kube::Error::SerdeError)?;
        let params = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..PostParams::default() };
        secrets.create(&params, &secret).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_named_like_credentials_are_secret() {
        for key in ["DB_PASSWORD", "api-token", "STRIPE_SECRET_KEY", "smtp.passwd", "GITHUB_API_KEY"] {
            assert!(is_secret(key), "{key}");
        }
        for key in ["SITE_NAME", "KEYWORDS", "MAX_UPLOAD_SIZE"] {
            assert!(!is_secret(key), "{key}");
        }
    }

    #[test]
    fn a_journaled_request_holds_a_reference_not_the_value() {
        let config: BTreeMap<String, String> =
            [("DB_PASSWORD".to_owned(), "hunter2-s3cret".to_owned()), ("SITE_NAME".to_owned(), "Alder".to_owned())]
                .into();
        let request = ActionRequest {
            context: "eu".into(),
            tenant: "alder".into(),
            change: Change::Update {
                version: None,
                plan: None,
                domains: None,
                config: Some(config),
                config_keys: BTreeMap::new(),
                parameters: BTreeMap::new(),
            },
            take_over: false,
            reason: String::new(),
        };
        let (stripped, values) = split(&request, "abc");
        assert_eq!(values.get("DB_PASSWORD").map(String::as_str), Some("hunter2-s3cret"));
        let json = serde_json::to_string(&stripped).expect("json");
        assert!(!json.contains("hunter2") && json.contains("Alder"), "{json}");
        assert_eq!(held_entry(&stripped).as_deref(), Some("abc"));
        let (again, none) = split(&stripped, "other");
        assert!(none.is_empty() && held_entry(&again).as_deref() == Some("abc"), "a held value is not taken twice");
    }

    #[test]
    fn the_spec_keeps_stamps_and_the_secret_write_names_keys_only() {
        let mut spec = TenantSpec::default();
        let config: BTreeMap<String, String> =
            [("DB_PASSWORD".to_owned(), "x".to_owned()), ("SITE_NAME".to_owned(), "Alder".to_owned())].into();
        let plain = apply_config(&mut spec, &config);
        assert_eq!(plain.keys().collect::<Vec<_>>(), ["SITE_NAME"]);
        assert!(spec.secret_config.contains_key("DB_PASSWORD"));
        let values: BTreeMap<String, String> = [("DB_PASSWORD".to_owned(), "hunter2".to_owned())].into();
        let write = SecretWrite::between(None, &spec, &values).expect("a write");
        let shown = serde_json::to_string(&write.shown(None)).expect("json");
        assert!(!shown.contains("hunter2") && shown.contains("data.DB_PASSWORD"), "{shown}");
        let mut removed = spec.clone();
        apply_config(&mut removed, &[("DB_PASSWORD".to_owned(), String::new())].into());
        let write = SecretWrite::between(Some(&spec), &removed, &BTreeMap::new()).expect("a removal");
        assert_eq!(write.removed, ["DB_PASSWORD"]);
    }
}
