//! Executing a prepared action: apply (or delete, restart, scale down for a restore), then wait
//! until the tenant runs as asked.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::ResourceExt as _;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use serde_json::json;
use tenantry_model::{ActionEvent, ActionRequest, Change, Step};

use super::converge::Expected;
use super::objects::{PlanAs, PlannedObject, Resources};
use super::session::Session;
use super::{ActionError, Actions, Trail, backup, converge};
use crate::inventory::{MANAGED_BY, now};

/// Field manager of restarts: kept apart from `tenantry`, so that applying the spec later
/// neither removes the restart stamp nor conflicts with it.
const RESTART_MANAGER: &str = "tenantry-restart";
/// Pod template annotation a restart sets.
pub(super) const RESTARTED_AT: &str = "tenantry.io/restarted-at";

impl Actions {
    pub(super) async fn execute(
        &self,
        session: &Session,
        request: &ActionRequest,
        progress: &mut (dyn FnMut(ActionEvent) + Send),
        trail: &mut Trail,
    ) -> Result<String, ActionError> {
        let mut prepared = self.prepare(session, request, progress, trail, true).await?;
        let client = &session.client;
        let journal_id = trail.journal_id.unwrap_or_default();
        let id = request.tenant.as_str();

        progress(ActionEvent::Started { step: Step::Apply });
        self.cache.journal_step(journal_id, Step::Apply).await?;
        let timeout = self.settings.converge_timeout;
        let mirror = session.mirror();
        let mut expected = Expected::default();
        match &request.change {
            Change::Delete { .. } => {
                delete_namespace(client, id).await?;
            }
            Change::Restart => restart(client, id, &mut expected).await?,
            // The app stops before the restore Job starts, so nothing writes while it restores.
            Change::Restore { .. } => {
                let (job, app): (Vec<_>, Vec<_>) =
                    prepared.objects.iter().partition(|p| p.object["kind"].as_str() == Some("Job"));
                let mut stopped = Expected::default();
                for planned in app {
                    apply(&prepared.resources, planned, &mut stopped).await?;
                }
                converge::rolled_out(client, mirror, id, &stopped, timeout, |r| {
                    progress(ActionEvent::Rollout { ready: r.ready, updated: r.updated, desired: r.desired });
                })
                .await?;
                for planned in job {
                    prepared.resources.apply(planned).await?;
                }
            }
            _ => {
                for planned in prepared.namespace.iter().chain(&prepared.objects) {
                    apply(&prepared.resources, planned, &mut expected).await?;
                }
                for removal in &prepared.removals {
                    prepared.resources.remove(removal).await?;
                }
            }
        }
        progress(ActionEvent::Finished { step: Step::Apply });

        progress(ActionEvent::Started { step: Step::Converge });
        self.cache.journal_step(journal_id, Step::Converge).await?;
        let mut report = |r: converge::Rollout| {
            progress(ActionEvent::Rollout { ready: r.ready, updated: r.updated, desired: r.desired });
        };
        if matches!(request.change, Change::Delete { .. }) {
            converge::deleted(client, id, timeout).await?;
            trail.namespace_exists_after = false;
        } else if let Change::Backup { backup } = &request.change {
            backup::job_completed(client, id, &format!("backup-{backup}"), timeout).await?;
        } else if let Some((running, job)) = &prepared.restore {
            backup::job_completed(client, id, job, timeout).await?;
            for object in running {
                let how = PlanAs { namespace_exists: true, ..PlanAs::default() };
                let planned = prepared.resources.plan(object.clone(), how).await?;
                apply(&prepared.resources, &planned, &mut expected).await?;
            }
            converge::rolled_out(client, mirror, id, &expected, timeout, &mut report).await?;
        } else {
            trail.namespace_exists_after = true;
            converge::rolled_out(client, mirror, id, &expected, timeout, &mut report).await?;
        }
        progress(ActionEvent::Finished { step: Step::Converge });
        Ok(done_message(request, trail.revision_after))
    }
}

/// Names of the Deployments Tenantry manages in namespace `id`.
pub(super) async fn managed_deployments(client: &kube::Client, id: &str) -> Result<Vec<String>, ActionError> {
    let selector = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
    let list =
        Api::<Deployment>::namespaced(client.clone(), id)
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|source| ActionError::Cluster { what: format!("cannot list the Deployments of {id}"), source })?;
    Ok(list.items.iter().map(|d| d.name_any()).collect())
}

/// Applies `planned`, noting in `expected` the Deployment it writes or leaves as it was.
async fn apply(resources: &Resources, planned: &PlannedObject, expected: &mut Expected) -> Result<(), ActionError> {
    match resources.apply(planned).await? {
        Some(written) => expected.written(planned.object["kind"].as_str().unwrap_or_default(), &written),
        None => expected.kept(&planned.object),
    }
    Ok(())
}

/// Replaces the pods of every Tenantry Deployment in `id` one by one (a new template stamp),
/// noting each in `expected`.
async fn restart(client: &kube::Client, id: &str, expected: &mut Expected) -> Result<(), ActionError> {
    let api = Api::<Deployment>::namespaced(client.clone(), id);
    let stamp = json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now()}}}}});
    for name in managed_deployments(client, id).await? {
        let restarted = api
            .patch(
                &name,
                &PatchParams { field_manager: Some(RESTART_MANAGER.into()), ..PatchParams::default() },
                &Patch::Strategic(&stamp),
            )
            .await
            .map_err(|source| ActionError::Cluster { what: format!("cannot restart Deployment {name}"), source })?;
        expected.written("Deployment", &restarted.metadata);
    }
    Ok(())
}

async fn delete_namespace(client: &kube::Client, id: &str) -> Result<(), ActionError> {
    match Api::<Namespace>::all(client.clone()).delete(id, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(ActionError::Cluster { what: format!("cannot delete namespace {id}"), source }),
    }
}

/// One sentence on a finished action.
fn done_message(request: &ActionRequest, revision: u64) -> String {
    let id = &request.tenant;
    let context = &request.context;
    match &request.change {
        Change::Create { .. } => format!("Created {id} on {context} (revision {revision}); it is running."),
        Change::Update { .. } => format!("Updated {id} on {context} (revision {revision}); it is running."),
        Change::Scale { replicas: Some(n), .. } => {
            format!("Scaled {id} on {context} to {n} pods (revision {revision}).")
        }
        Change::Scale { autoscaling: Some(b), .. } => {
            format!("{id} on {context} now scales between {} and {} pods (revision {revision}).", b.min, b.max)
        }
        Change::Scale { .. } => format!("Scaled {id} on {context} (revision {revision})."),
        Change::Restart => format!("Restarted {id} on {context}; every pod was replaced."),
        Change::Suspend => format!("Suspended {id} on {context}; no pod runs (revision {revision})."),
        Change::Resume => format!("Resumed {id} on {context} (revision {revision}); it is running."),
        Change::Rollback { revision: old } => {
            format!("Rolled {id} on {context} back to the spec of revision {old} (now revision {revision}).")
        }
        Change::Backup { backup } => format!("Backed up {id} on {context} as {backup}."),
        Change::Restore { backup } => format!("Restored {id} on {context} from backup {backup}; it is running."),
        Change::Delete { .. } => format!("Deleted {id} from {context}; its spec stays in the cache."),
    }
}
