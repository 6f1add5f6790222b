//! Carrying out a [`Plan`]: write the spec and objects (or restart, delete, back up, restore),
//! then wait until the tenant runs as asked.

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::json;
use tenantry_model::{ActionEvent, ActionRequest, Change, Operation, Step};

use super::converge::{Awaited, Expected};
use super::objects::{ObjectError, PlanAs, PlannedObject, Resources};
use super::plan::{Plan, Work};
use super::session::Session;
use super::{ActionError, Actions, Trail, backup, converge, restart, stored};
use crate::labels::{FIELD_MANAGER, MANAGED_BY, TENANT_LABEL};

impl Actions {
    /// Applies `plan` and waits until the tenant runs as asked; returns the sentence saying so.
    pub(super) async fn execute(
        &self,
        session: &Session,
        request: &ActionRequest,
        plan: Plan,
        progress: &mut (dyn FnMut(ActionEvent) + Send),
        trail: &mut Trail,
    ) -> Result<String, ActionError> {
        let Plan { mut resources, work, done, .. } = plan;
        let client = &session.client;
        let journal_id = trail.journal_id.unwrap_or_default();
        let id = request.tenant.as_str();
        let timeout = self.settings.converge_timeout;
        let mirror = session.mirror();
        let mut expected = Expected::default();
        let mut awaited = Vec::new();

        progress(ActionEvent::Started { step: Step::Apply });
        self.cache.journal_step(journal_id, Step::Apply).await?;
        match &work {
            Work::Apply { namespace, objects, removals, stale_history, secrets, recorded } => {
                if let Some(namespace) = namespace {
                    write_spec(client, &resources, namespace).await?;
                }
                // Before the app's objects, so no rollout starts without the values; a run that
                // ends here gets them back from the keyring when resumed.
                if let Some(secrets) = secrets {
                    secrets.write(client, id).await.map_err(|source| ActionError::Cluster {
                        what: format!("cannot write the secret config of {id}"),
                        source,
                    })?;
                }
                for planned in objects {
                    if *recorded {
                        let written = resources.apply(planned).await?;
                        awaited.extend(Awaited::of(&planned.object, written.as_ref()));
                    } else {
                        apply(&resources, planned, &mut expected).await?;
                    }
                }
                stored::prune_history(client, id, stale_history).await.map_err(|source| ActionError::Cluster {
                    what: format!("cannot remove old entries from the history of {id}"),
                    source,
                })?;
                for removal in removals {
                    resources.remove(removal).await?;
                }
            }
            Work::Restart { deployments } => {
                restart::restart(client, id, deployments, &restart::stamp_of(&request.change), &mut expected).await?;
            }
            Work::Workloads { objects, restart } => {
                for planned in objects {
                    let written = resources.apply(planned).await?;
                    if let Some(workload) = Awaited::of(&planned.object, written.as_ref()) {
                        awaited.push(workload);
                    }
                }
                for workload in restart {
                    let stamp = restart::stamp_of(&request.change);
                    let generation = restart::stamp(client, id, workload.kind, &workload.name, &stamp).await?;
                    awaited.push(Awaited { kind: workload.kind.to_owned(), name: workload.name.clone(), generation });
                }
            }
            Work::Delete => delete_namespace(client, id).await?,
            Work::Backup { job } => {
                resources.apply(job).await?;
            }
            // The app stops before the restore Job starts, so nothing writes while it restores.
            Work::Restore { stop, job, replace, .. } => {
                let mut stopped = Expected::default();
                for planned in stop {
                    apply(&resources, planned, &mut stopped).await?;
                }
                converge::rolled_out(client, mirror, id, &stopped, timeout, |r| rollout(progress, r)).await?;
                if *replace {
                    backup::delete_job(client, id, job.name(), timeout).await?;
                }
                resources.apply(job).await?;
            }
        }
        progress(ActionEvent::Finished { step: Step::Apply });

        progress(ActionEvent::Started { step: Step::Converge });
        self.cache.journal_step(journal_id, Step::Converge).await?;
        match &work {
            Work::Delete => {
                converge::deleted(client, id, timeout).await?;
                trail.namespace_exists_after = false;
            }
            Work::Backup { job } => backup::job_completed(client, id, job.name(), timeout).await?,
            Work::Restore { job, start, .. } => {
                backup::job_completed(client, id, job.name(), timeout).await?;
                for object in start {
                    let how = PlanAs { namespace_exists: true, ..PlanAs::default() };
                    let planned = resources.plan(object.clone(), how).await?;
                    apply(&resources, &planned, &mut expected).await?;
                }
                converge::rolled_out(client, mirror, id, &expected, timeout, |r| rollout(progress, r)).await?;
            }
            Work::Workloads { .. } | Work::Apply { recorded: true, .. } => {
                trail.namespace_exists_after = true;
                converge::workloads_rolled_out(client, id, &awaited, timeout, |r| rollout(progress, r)).await?;
            }
            Work::Apply { .. } | Work::Restart { .. } => {
                trail.namespace_exists_after = true;
                converge::rolled_out(client, mirror, id, &expected, timeout, |r| rollout(progress, r)).await?;
            }
        }
        progress(ActionEvent::Finished { step: Step::Converge });
        Ok(done.unwrap_or_else(|| done_message(request, trail.revision_after)))
    }
}

fn rollout(progress: &mut (dyn FnMut(ActionEvent) + Send), r: converge::Rollout) {
    progress(ActionEvent::Rollout { ready: r.ready, updated: r.updated, desired: r.desired });
}

/// Writes the tenant's Namespace with the spec. A new tenant's namespace is first created bare
/// (so that of two creates at the same moment one fails instead of both applying), then the
/// spec is applied over exactly the version that create returned; an existing one's spec is
/// applied over the version it was planned on. A write that meets a newer version fails with
/// [`ObjectError::Changed`].
async fn write_spec(client: &kube::Client, resources: &Resources, planned: &PlannedObject) -> Result<(), ActionError> {
    if planned.operation != Operation::Create {
        resources.apply(planned).await?;
        return Ok(());
    }
    let name = planned.name();
    let labels = [(TENANT_LABEL.to_owned(), name.to_owned()), (MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned())];
    let bare = Namespace {
        metadata: ObjectMeta { name: Some(name.to_owned()), labels: Some(labels.into()), ..ObjectMeta::default() },
        ..Namespace::default()
    };
    let params = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..PostParams::default() };
    let created = match Api::<Namespace>::all(client.clone()).create(&params, &bare).await {
        Ok(created) => created,
        Err(kube::Error::Api(status)) if status.code == 409 => {
            return Err(ObjectError::Changed { kind: "Namespace".into(), name: name.to_owned() }.into());
        }
        Err(source) => return Err(ActionError::Cluster { what: format!("cannot create namespace {name}"), source }),
    };
    let mut over_created = planned.clone();
    over_created.operation = Operation::Update;
    over_created.object["metadata"]["resourceVersion"] = json!(created.metadata.resource_version);
    resources.apply(&over_created).await?;
    Ok(())
}

/// Applies `planned`, noting in `expected` the Deployment it writes or leaves as it was.
async fn apply(resources: &Resources, planned: &PlannedObject, expected: &mut Expected) -> Result<(), ActionError> {
    match resources.apply(planned).await? {
        Some(written) => expected.written(planned.object["kind"].as_str().unwrap_or_default(), &written),
        None => expected.kept(&planned.object),
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
        Change::Restart { .. } => format!("Restarted {id} on {context}; every pod was replaced."),
        Change::Suspend => format!("Suspended {id} on {context}; no pod runs (revision {revision})."),
        Change::Resume => format!("Resumed {id} on {context} (revision {revision}); it is running."),
        Change::Rollback { revision: old } => {
            format!("Rolled {id} on {context} back to the spec of revision {old} (now revision {revision}).")
        }
        Change::Backup { backup } => format!("Backed up {id} on {context} as {backup}."),
        Change::Restore { backup, .. } => format!("Restored {id} on {context} from backup {backup}; it is running."),
        Change::Delete { .. } => format!("Deleted {id} from {context}; its spec stays in the cache."),
        Change::Adopt { spec } if spec.blueprint.is_empty() => {
            format!(
                "Adopted {id} on {context} without a blueprint (revision {revision}); its workloads' sizes are recorded."
            )
        }
        Change::Adopt { spec } => {
            format!("Adopted {id} on {context} with blueprint {} (revision {revision}); it is running.", spec.blueprint)
        }
    }
}
