//! Planning an action on a tenant without a blueprint: the same steps as a blueprint's
//! (validate, access, journal, preview by the server's dry run) over the workloads the
//! namespace has, as [`unmanaged::steps`] decides.

use tenantry_model::{ActionEvent, ActionRequest, Change, Operation, Preview, Step};

use super::objects::PlanAs;
use super::plan::{Plan, Work, change_of, drift_notes, gitops_note, shown};
use super::session::Session;
use super::stored::Stored;
use super::unmanaged::{self, Steps};
use super::{ActionError, Actions, Trail, backup};
use crate::access::Permission;

impl Actions {
    /// The plan of `request` on `stored`, a namespace the tenancy rules make a tenant that
    /// Tenantry did not create; the validate step has started.
    pub(super) async fn prepare_unmanaged(
        &self,
        session: &Session,
        request: &ActionRequest,
        stored: &Stored,
        progress: &mut (dyn FnMut(ActionEvent) + Send),
        trail: &mut Trail,
        journal: bool,
    ) -> Result<Plan, ActionError> {
        let id = request.tenant.as_str();
        let client = &session.client;
        let workloads = unmanaged::workloads(client, id).await?;
        let steps = unmanaged::steps(id, &request.change, &workloads, stored.suspended_sizes.as_deref())?;
        if let Change::Backup { backup } = &request.change {
            backup::check_id(backup)?;
        }
        trail.revision_before = stored.revision;
        trail.revision_after = stored.revision;
        progress(ActionEvent::Finished { step: Step::Validate });

        progress(ActionEvent::Started { step: Step::Access });
        session.require(&permissions(id, &steps)).await?;
        progress(ActionEvent::Finished { step: Step::Access });

        self.journal_then_preview(request, progress, trail, journal).await?;
        let mut resources = session.resources(self.settings.controllers.clone(), request.take_over);
        let mut preview = Preview {
            revision_before: stored.revision,
            revision_after: stored.revision,
            objects: Vec::new(),
            notes: Vec::new(),
        };
        let existing = PlanAs { namespace_exists: true, ..PlanAs::default() };
        let work = match &steps {
            Steps::Resize { sizes, remember } => {
                let mut objects = Vec::new();
                for (workload, replicas) in sizes {
                    let planned = resources.plan(workload.scaled(id, *replicas), existing).await?;
                    preview.objects.push(shown(&planned, planned.fields.clone()));
                    objects.push(planned);
                }
                if let Some(sizes) = remember {
                    let namespace = unmanaged::remembered_sizes(id, sizes.as_deref());
                    let how = PlanAs { cluster_wide_allowed: true, ..existing };
                    let planned = resources.plan(namespace, how).await?;
                    preview.objects.push(shown(&planned, planned.fields.clone()));
                    // Suspend remembers the sizes before scaling down; resume forgets them last.
                    if sizes.is_some() {
                        objects.insert(0, planned);
                    } else {
                        objects.push(planned);
                    }
                }
                Work::Workloads { objects, restart: Vec::new() }
            }
            Steps::Restart(restarted) => {
                preview.objects.extend(restarted.iter().map(unmanaged::restart_shown));
                Work::Workloads { objects: Vec::new(), restart: restarted.clone() }
            }
            Steps::Backup(backup) => {
                let job = resources.plan(backup::backup_job(client, id, backup).await?, existing).await?;
                preview.objects.push(shown(&job, Vec::new()));
                Work::Backup { job }
            }
            Steps::Delete => {
                preview.objects.push(change_of("Namespace", id, Operation::Delete, Vec::new()));
                preview.notes.push(format!(
                    "Everything in namespace {id} is removed, and Tenantry keeps no spec of it to create it again."
                ));
                Work::Delete
            }
        };
        preview.notes.extend(preview.objects.iter().flat_map(drift_notes));
        let controller = stored.gitops.clone().or_else(|| workloads.iter().find_map(|w| w.gitops.clone()));
        if let Some(controller) = controller {
            preview.notes.push(gitops_note(&controller));
        }
        progress(ActionEvent::Planned { preview: preview.clone() });
        progress(ActionEvent::Finished { step: Step::Preview });
        let done = unmanaged::done(id, &request.context, &steps, &request.change);
        Ok(Plan { resources, work, preview, done: Some(done) })
    }
}

/// The permissions `steps` need on tenant `id`, creating its Event included.
fn permissions(id: &str, steps: &Steps) -> Vec<Permission> {
    let mut wanted = vec![Permission::new("create", "", "events", Some(id))];
    match steps {
        Steps::Resize { sizes, remember } => {
            for (workload, _) in sizes {
                wanted.push(Permission::new("patch", "apps", workload.resource(), Some(id)));
            }
            if remember.is_some() {
                wanted.push(Permission::new("patch", "", "namespaces", None));
            }
        }
        Steps::Restart(restarted) => {
            for workload in restarted {
                wanted.push(Permission::new("patch", "apps", workload.resource(), Some(id)));
            }
        }
        Steps::Backup(_) => {
            wanted.push(Permission::new("list", "batch", "cronjobs", Some(id)));
            wanted.push(Permission::new("create", "batch", "jobs", Some(id)));
            wanted.push(Permission::new("patch", "batch", "jobs", Some(id)));
        }
        Steps::Delete => wanted.push(Permission::new("delete", "", "namespaces", None)),
    }
    wanted.dedup();
    wanted
}
