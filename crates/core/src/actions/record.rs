//! What an action leaves behind besides the journal: who ran it (the OS user) and a Kubernetes
//! Event on the tenant's namespace, so `kubectl get events` tells the story too.

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::Api;
use kube::api::PostParams;
use tenantry_model::{ActionKind, ActionResult};

use crate::labels::FIELD_MANAGER;

/// The operating-system user running Tenantry (from the account database, not from `$USER`,
/// which a launcher may leave unset).
pub fn os_user() -> String {
    whoami::username().unwrap_or_else(|error| {
        tracing::debug!(%error, "the OS user is unknown");
        "unknown".to_owned()
    })
}

/// Posts an Event about tenant `id`'s namespace describing how the action went.
pub async fn event(
    client: &kube::Client,
    id: &str,
    action: ActionKind,
    result: ActionResult,
    message: &str,
) -> Result<(), kube::Error> {
    let now = jiff::Timestamp::now();
    let reason = format!("Tenantry{}", capitalized(action.name()));
    let event = Event {
        metadata: ObjectMeta {
            generate_name: Some("tenantry-".into()),
            namespace: Some(id.to_owned()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Namespace".into()),
            name: Some(id.to_owned()),
            // The API server only accepts events whose object is in the event's namespace.
            namespace: Some(id.to_owned()),
            ..ObjectReference::default()
        },
        type_: Some(if result == ActionResult::Succeeded { "Normal" } else { "Warning" }.into()),
        reason: Some(reason),
        action: Some(action.name().to_owned()),
        message: Some(message.to_owned()),
        count: Some(1),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        source: Some(EventSource { component: Some(FIELD_MANAGER.into()), host: None }),
        reporting_component: Some(FIELD_MANAGER.into()),
        reporting_instance: Some(os_user()),
        ..Event::default()
    };
    Api::<Event>::namespaced(client.clone(), id).create(&PostParams::default(), &event).await?;
    Ok(())
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
