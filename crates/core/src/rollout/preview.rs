//! The preview of a planned rollout: its queued tenants grouped by the field changes their
//! renders make (compared on this machine, one list request per cluster), each group with the
//! server's dry run of one of its tenants.

use std::collections::{BTreeMap, BTreeSet};

use futures::{FutureExt as _, StreamExt as _};
use tenantry_model::{ActionRequest, Change, Operation, Rollout, RolloutGroup, TenantState};

use super::Rollouts;

/// Groups whose sample the server dry-runs; further ones say they were not sampled.
const SAMPLED_GROUPS: usize = 12;
/// Dry runs sent at once.
const DRY_RUNS_AT_ONCE: usize = 4;
/// Tenants named as examples of a group.
const EXAMPLES: usize = 5;
/// Distinct values before a change that are named; more are counted.
const NAMED_VALUES: usize = 3;

/// One field change as a group tells it apart: object, path, value after (`None`: a note with
/// no field, held in the object).
type FieldKey = (String, String, Option<String>);

/// The tenants that share a key, and the values their fields had before.
#[derive(Default)]
struct Members {
    positions: Vec<usize>,
    before: BTreeMap<(String, String), BTreeSet<String>>,
}

impl Rollouts<'_> {
    /// `rollout`'s queued tenants grouped by what changes for them, largest group first.
    pub async fn preview(&self, rollout: &Rollout) -> Vec<RolloutGroup> {
        let mut by_cluster: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (position, tenant) in rollout.tenants.iter().enumerate().filter(|(_, t)| t.state == TenantState::Queued) {
            by_cluster.entry(tenant.context.as_str()).or_default().push(position);
        }
        let mut groups: BTreeMap<Vec<FieldKey>, Members> = BTreeMap::new();
        for (cluster, positions) in by_cluster {
            let keyed = self.keyed(rollout, cluster, &positions).await;
            for (position, (key, before)) in positions.into_iter().zip(keyed) {
                let members = groups.entry(key).or_default();
                members.positions.push(position);
                for (field, value) in before {
                    members.before.entry(field).or_default().insert(value);
                }
            }
        }
        let mut groups: Vec<(Vec<FieldKey>, Members)> = groups.into_iter().collect();
        groups.sort_by_key(|(_, members)| std::cmp::Reverse(members.positions.len()));
        let samples: Vec<usize> = groups.iter().take(SAMPLED_GROUPS).map(|(_, members)| members.positions[0]).collect();
        // Boxed: the command's future must be `Send` for every lifetime it borrows.
        let mut dry_runs: Vec<String> =
            futures::stream::iter(samples.into_iter().map(|sample| self.dry_run(rollout, sample).boxed()))
                .buffered(DRY_RUNS_AT_ONCE)
                .collect()
                .await;
        dry_runs.resize(groups.len(), format!("not dry-run: only the {SAMPLED_GROUPS} largest groups are sampled"));
        groups
            .into_iter()
            .zip(dry_runs)
            .map(|((key, members), dry_run)| RolloutGroup {
                tenants: members.positions.len(),
                examples: members
                    .positions
                    .iter()
                    .take(EXAMPLES)
                    .map(|&p| format!("{}/{}", rollout.tenants[p].context, rollout.tenants[p].tenant))
                    .collect(),
                changes: key.iter().map(|field| describe(field, &members.before)).collect(),
                dry_run,
            })
            .collect()
    }

    /// Each tenant at `positions` (all of `cluster`) with its group key and the values its
    /// changed fields have now.
    async fn keyed(
        &self,
        rollout: &Rollout,
        cluster: &str,
        positions: &[usize],
    ) -> Vec<(Vec<FieldKey>, Vec<((String, String), String)>)> {
        let note = |text: String| (vec![(text, String::new(), None)], Vec::new());
        let change = |p: usize| &rollout.tenants[p].change;
        let renders_new = |change: &Change| {
            matches!(change, Change::Update { .. } | Change::Scale { .. } | Change::Suspend | Change::Resume)
        };
        let batch = match self.entries.get(cluster) {
            Some(entry) => self.actions.batch(entry).await.map_err(|e| crate::error::chain(&e)),
            None => Err("the kubeconfig no longer has this cluster".to_owned()),
        };
        let batch = match batch {
            Ok(batch) => batch,
            Err(why) => return positions.iter().map(|_| note(format!("not compared: {why}"))).collect(),
        };
        let rendering: Vec<(String, Change)> = positions
            .iter()
            .filter(|&&p| renders_new(change(p)))
            .map(|&p| (rollout.tenants[p].tenant.clone(), change(p).clone()))
            .collect();
        let mut rendered = match batch.rendered_changes(&rendering).await {
            Ok(rendered) => rendered.into_iter(),
            Err(error) => vec![Err(crate::error::chain(&error)); rendering.len()].into_iter(),
        };
        positions
            .iter()
            .map(|&p| {
                if !renders_new(change(p)) {
                    return note(no_render(change(p)));
                }
                match rendered.next() {
                    Some(Ok(fields)) if fields.is_empty() => note("no rendered field changes".to_owned()),
                    Some(Ok(fields)) => {
                        let key = fields
                            .iter()
                            .map(|c| (c.object.clone(), c.field.path.clone(), Some(shown(c.field.after.as_deref()))))
                            .collect();
                        let before = fields
                            .into_iter()
                            .map(|c| ((c.object, c.field.path), shown(c.field.before.as_deref())))
                            .collect();
                        (key, before)
                    }
                    Some(Err(why)) => note(format!("not compared: {why}")),
                    None => note("not compared".to_owned()),
                }
            })
            .collect()
    }

    /// What the server's dry run of the tenant at `position` says, in one line.
    async fn dry_run(&self, rollout: &Rollout, position: usize) -> String {
        let tenant = &rollout.tenants[position];
        let who = format!("{}/{}", tenant.context, tenant.tenant);
        let Some(entry) = self.entries.get(&tenant.context) else {
            return format!("server dry run of {who}: the kubeconfig no longer has its cluster");
        };
        let request = ActionRequest {
            context: tenant.context.clone(),
            tenant: tenant.tenant.clone(),
            change: tenant.change.clone(),
            take_over: false,
            reason: String::new(),
        };
        match self.actions.preview(entry, &request).await {
            Ok(preview) => {
                let changing: Vec<String> = preview
                    .objects
                    .iter()
                    .filter(|o| match o.operation {
                        Operation::Update => !o.fields.is_empty(),
                        Operation::Create | Operation::Delete => true,
                        Operation::Unchanged | Operation::Kept => false,
                    })
                    .map(|o| format!("{}/{}", o.kind, o.name))
                    .collect();
                if changing.is_empty() {
                    format!("server dry run of {who}: accepted, no object changes")
                } else {
                    format!(
                        "server dry run of {who}: accepted; {} objects change: {}",
                        changing.len(),
                        changing.join(", ")
                    )
                }
            }
            Err(error) => format!("server dry run of {who} refused it: {}", error.to_ui().message),
        }
    }
}

/// What a change that renders nothing new does, as a group's note.
fn no_render(change: &Change) -> String {
    match change {
        Change::Restart { .. } => "every pod replaced, one at a time".to_owned(),
        Change::Backup { backup } => format!("a backup job {backup} runs"),
        Change::Rollback { revision } => format!("the spec goes back to revision {revision}"),
        Change::Adopt { spec } if spec.blueprint.is_empty() => {
            "adopted: its spec records each workload's size; nothing it runs changes".to_owned()
        }
        Change::Adopt { spec } => {
            format!(
                "adopted: blueprint {} renders it from now on, its objects mapped onto those that exist",
                spec.blueprint
            )
        }
        other => other.kind().name().to_owned(),
    }
}

fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "(none)".to_owned(), str::to_owned)
}

/// One line of a group: `object path: before → after`, naming up to three values before.
fn describe((object, path, after): &FieldKey, before: &BTreeMap<(String, String), BTreeSet<String>>) -> String {
    let Some(after) = after else { return object.clone() };
    let values = before.get(&(object.clone(), path.clone())).cloned().unwrap_or_default();
    let before = if values.len() <= NAMED_VALUES {
        values.into_iter().collect::<Vec<_>>().join(", ")
    } else {
        format!("{} different values", values.len())
    };
    format!("{object} {path}: {before} → {after}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_a_few_values_before_and_counts_many() {
        let key = ("Deployment/app".to_owned(), "spec.replicas".to_owned(), Some("3".to_owned()));
        let field = (key.0.clone(), key.1.clone());
        let few = BTreeMap::from([(field.clone(), BTreeSet::from(["1".to_owned(), "2".to_owned()]))]);
        assert_eq!(describe(&key, &few), "Deployment/app spec.replicas: 1, 2 → 3");
        let many = BTreeMap::from([(field, (0..5).map(|n| n.to_string()).collect())]);
        assert_eq!(describe(&key, &many), "Deployment/app spec.replicas: 5 different values → 3");
        assert_eq!(describe(&("every pod replaced".into(), String::new(), None), &few), "every pod replaced");
    }
}
