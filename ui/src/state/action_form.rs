//! What the action dialog's form holds, as typed, and the change it asks for.

use std::collections::BTreeMap;

use tenantry_model::{ActionKind, ActionRequest, Autoscaling, BackupPolicy, Change, TenantSpec, TenantSummary};

/// The form's fields, as text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FormInput {
    /// Fixed pods (scale).
    pub replicas: String,
    /// Whether to autoscale instead (scale).
    pub autoscale: bool,
    /// Fewest pods (scale, autoscaling).
    pub min: String,
    /// Most pods (scale, autoscaling).
    pub max: String,
    /// App version (update).
    pub version: String,
    /// Plan (update).
    pub plan: String,
    /// Revision to go back to (rollback).
    pub revision: String,
    /// The tenant id typed again (delete).
    pub confirm: String,
    /// The backup to take (backup) or to restore (restore).
    pub backup: String,
    /// Why the action is run (e.g. a ticket number).
    pub reason: String,
    /// The workload to scale or restart, on a tenant without a blueprint (`Kind/name`; empty
    /// restarts every workload).
    pub workload: String,
    /// The blueprint to adopt the tenant with (empty: none).
    pub blueprint: String,
    /// Name shown to people (adopt).
    pub display_name: String,
    /// The customer (adopt).
    pub customer: String,
    /// The domains (adopt).
    pub domains: Vec<String>,
}

impl FormInput {
    /// The form filled in from the tenant as it is; `backup` names a new backup or the one to
    /// restore.
    pub fn for_tenant(tenant: &TenantSummary, backup: String) -> Self {
        Self {
            replicas: tenant.desired.max(1).to_string(),
            autoscale: false,
            min: tenant.desired.max(1).to_string(),
            max: (tenant.desired.max(1) * 2).to_string(),
            version: tenant.version.clone(),
            plan: tenant.plan.clone(),
            revision: tenant.revision.saturating_sub(1).max(1).to_string(),
            confirm: String::new(),
            backup,
            reason: String::new(),
            workload: String::new(),
            blueprint: String::new(),
            display_name: tenant.display_name.clone(),
            customer: tenant.customer.clone(),
            domains: tenant.domains.clone(),
        }
    }

    /// The change of action `kind`, or what is wrong with the form (the backend checks the
    /// bounds; this only reads the numbers).
    pub fn change(&self, kind: ActionKind) -> Result<Change, String> {
        let number =
            |label: &str, text: &str| text.trim().parse::<i32>().map_err(|_| format!("{label} must be a whole number"));
        let workload = Some(self.workload.clone()).filter(|w| !w.is_empty());
        Ok(match kind {
            ActionKind::Scale if self.autoscale => Change::Scale {
                replicas: None,
                autoscaling: Some(Autoscaling {
                    min: number("Minimum", &self.min)?,
                    max: number("Maximum", &self.max)?,
                }),
                workload,
            },
            ActionKind::Scale => {
                Change::Scale { replicas: Some(number("Pods", &self.replicas)?), autoscaling: None, workload }
            }
            ActionKind::Update => Change::Update {
                version: Some(self.version.trim().to_owned()),
                plan: Some(self.plan.clone()),
                domains: None,
                config: None,
                config_keys: BTreeMap::new(),
                parameters: BTreeMap::new(),
            },
            ActionKind::Rollback => Change::Rollback {
                revision: self.revision.trim().parse().map_err(|_| "Revision must be a whole number".to_owned())?,
            },
            ActionKind::Delete => Change::Delete { confirm: self.confirm.trim().to_owned() },
            ActionKind::Backup => Change::Backup { backup: self.backup.trim().to_owned() },
            ActionKind::Restore if self.backup.is_empty() => return Err("There is no backup to restore yet".into()),
            ActionKind::Restore => Change::Restore { backup: self.backup.clone(), attempt: None },
            ActionKind::Restart => Change::Restart { workload, stamp: None },
            ActionKind::Suspend => Change::Suspend,
            ActionKind::Resume => Change::Resume,
            ActionKind::Adopt => Change::Adopt {
                spec: TenantSpec {
                    display_name: self.display_name.trim().to_owned(),
                    customer: self.customer.trim().to_owned(),
                    domains: self.domains.clone(),
                    blueprint: self.blueprint.clone(),
                    version: self.version.trim().to_owned(),
                    plan: if self.blueprint.is_empty() { String::new() } else { self.plan.clone() },
                    ..TenantSpec::default()
                },
            },
            ActionKind::Create => return Err("Create tenants with `tenantry create` for now".into()),
        })
    }
}

/// The new-tenant form's fields, as text.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTenantInput {
    /// The cluster (context).
    pub cluster: String,
    /// The tenant id (its namespace).
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// The customer.
    pub customer: String,
    /// Domains, separated by commas or spaces.
    pub domains: String,
    /// App version (image tag).
    pub version: String,
    /// Plan.
    pub plan: String,
    /// Pods.
    pub replicas: String,
    /// Why the tenant is created (e.g. a ticket number).
    pub reason: String,
}

impl NewTenantInput {
    /// An empty form for `cluster`, plan small, one pod.
    pub fn new(cluster: String) -> Self {
        Self {
            cluster,
            id: String::new(),
            name: String::new(),
            customer: String::new(),
            domains: String::new(),
            version: String::new(),
            plan: "small".into(),
            replicas: "1".into(),
            reason: String::new(),
        }
    }

    /// The create request the form describes (the backend checks every field; this only
    /// splits the domains and reads the number), with the built-in blueprint and nightly
    /// backups.
    pub fn request(&self) -> Result<ActionRequest, String> {
        if self.cluster.is_empty() {
            return Err("Pick a cluster that is live".into());
        }
        let replicas = self.replicas.trim().parse::<i32>().map_err(|_| "Pods must be a whole number".to_owned())?;
        let spec = TenantSpec {
            display_name: self.name.trim().to_owned(),
            customer: self.customer.trim().to_owned(),
            domains: self.domains.split([',', ' ']).filter(|d| !d.is_empty()).map(str::to_owned).collect(),
            blueprint: "web".into(),
            version: self.version.trim().to_owned(),
            plan: self.plan.clone(),
            replicas,
            backup: Some(BackupPolicy { schedule: "0 3 * * *".into(), retention: 7 }),
            ..TenantSpec::default()
        };
        Ok(ActionRequest {
            context: self.cluster.clone(),
            tenant: self.id.trim().to_owned(),
            change: Change::Create { spec },
            take_over: false,
            reason: self.reason.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adopting_without_a_blueprint_records_no_plan() {
        let form = FormInput {
            customer: " Alder ".into(),
            plan: "small".into(),
            version: "2.4.1".into(),
            workload: "Deployment/web".into(),
            ..FormInput::default()
        };
        let Ok(Change::Adopt { spec }) = form.change(ActionKind::Adopt) else { panic!("an adopt") };
        assert_eq!((spec.customer.as_str(), spec.plan.as_str(), spec.blueprint.as_str()), ("Alder", "", ""));
        let with_web = FormInput { blueprint: "web".into(), ..form };
        let Ok(Change::Adopt { spec }) = with_web.change(ActionKind::Adopt) else { panic!("an adopt") };
        assert_eq!((spec.plan.as_str(), spec.version.as_str()), ("small", "2.4.1"));
    }

    #[test]
    fn the_form_asks_for_the_change_it_shows() {
        let form = FormInput { replicas: " 3 ".into(), ..FormInput::default() };
        assert_eq!(
            form.change(ActionKind::Scale),
            Ok(Change::Scale { replicas: Some(3), autoscaling: None, workload: None })
        );
        let form = FormInput { autoscale: true, min: "2".into(), max: "5".into(), ..FormInput::default() };
        assert_eq!(
            form.change(ActionKind::Scale),
            Ok(Change::Scale { replicas: None, autoscaling: Some(Autoscaling { min: 2, max: 5 }), workload: None })
        );
        assert_eq!(FormInput::default().change(ActionKind::Scale), Err("Pods must be a whole number".into()));
        let form = FormInput { confirm: "alder ".into(), ..FormInput::default() };
        assert_eq!(form.change(ActionKind::Delete), Ok(Change::Delete { confirm: "alder".into() }));
        assert_eq!(
            FormInput::default().change(ActionKind::Restart),
            Ok(Change::Restart { workload: None, stamp: None })
        );
    }

    #[test]
    fn the_new_tenant_form_asks_for_a_create() {
        let form = NewTenantInput {
            id: " oak ".into(),
            name: "Oak".into(),
            customer: "Oak Ltd".into(),
            domains: "oak.example.com, www.oak.example.com".into(),
            version: "2.0".into(),
            replicas: "2".into(),
            ..NewTenantInput::new("eu".into())
        };
        let request = form.request().expect("a request");
        assert_eq!((request.context.as_str(), request.tenant.as_str()), ("eu", "oak"));
        let Change::Create { spec } = request.change else { panic!("a create") };
        assert_eq!(spec.domains, ["oak.example.com", "www.oak.example.com"]);
        assert_eq!((spec.replicas, spec.plan.as_str(), spec.blueprint.as_str()), (2, "small", "web"));
        assert_eq!(
            NewTenantInput::new(String::new()).request().expect_err("no cluster"),
            "Pick a cluster that is live"
        );
    }
}
