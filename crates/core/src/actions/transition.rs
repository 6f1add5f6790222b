//! What each action does to the tenant's spec: the spec after the change, given the spec now.

use std::collections::BTreeMap;

use tenantry_model::{Change, TenantSpec};

use super::secret_config;
use super::stored::Revision;
use super::unmanaged::{self, UnmanagedError};
use super::validate::{self, InvalidInput};

/// Why a change cannot be made to the tenant as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The input is invalid.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// Create was asked for a tenant that exists with another spec; use update instead.
    #[error("tenant {0} already exists with another spec; change it with update")]
    Exists(String),
    /// The action needs an existing tenant.
    #[error("tenant {0} does not exist on this cluster")]
    Missing(String),
    /// A workload was named on a tenant whose blueprint decides its workloads.
    #[error("{id} runs what its blueprint renders: scale or restart the tenant as a whole, not {workload}")]
    WorkloadOfBlueprint {
        /// The tenant.
        id: String,
        /// The workload named.
        workload: String,
    },
    /// The workload named cannot be told.
    #[error(transparent)]
    Workload(#[from] UnmanagedError),
    /// The change renders objects, and the tenant was adopted without a blueprint.
    #[error("{action} needs a blueprint, and {id} was adopted without one: its spec records only its workloads' sizes")]
    NeedsBlueprint {
        /// The tenant.
        id: String,
        /// The action.
        action: String,
    },
    /// Adopt on a tenant Tenantry already has.
    #[error("{0} is a Tenantry tenant already")]
    Adopted(String),
    /// The history does not hold the revision asked for (or holds it unreadable).
    #[error("revision {revision} is not in the tenant's history (it keeps: {kept})")]
    NoRevision {
        /// The revision asked for.
        revision: u64,
        /// The revisions it has.
        kept: String,
    },
}

/// The spec after `change`, given the spec now (`None`: no such tenant) and the history's
/// revisions. `None` afterwards means the tenant is gone (delete); restart keeps the spec.
pub fn next_spec(
    id: &str,
    now: Option<&TenantSpec>,
    history: &BTreeMap<u64, Revision>,
    change: &Change,
) -> Result<Option<TenantSpec>, TransitionError> {
    validate::tenant_id(id)?;
    if let Change::Create { spec } = change {
        validate::spec(spec)?;
        let mut next = TenantSpec { secret_config: BTreeMap::new(), ..spec.clone() };
        next.config = secret_config::apply_config(&mut next, &spec.config);
        // The same create again (a resume) keeps the secret keys' stamps it wrote.
        let unstamped = |spec: &TenantSpec| TenantSpec {
            secret_config: spec.secret_config.keys().map(|key| (key.clone(), String::new())).collect(),
            ..spec.clone()
        };
        return match now {
            Some(existing) if unstamped(existing) != unstamped(&next) => Err(TransitionError::Exists(id.to_owned())),
            Some(existing) => Ok(Some(existing.clone())),
            None => Ok(Some(next)),
        };
    }
    if let Change::Adopt { spec } = change {
        return match now {
            Some(existing) if existing == spec => Ok(Some(existing.clone())),
            _ => {
                checked(spec)?;
                Ok(Some(spec.clone()))
            }
        };
    }
    if let Change::Rollback { revision } = change {
        // Needs no readable spec now: rolling back is how an unreadable one is repaired.
        let spec = history.get(revision).map(|kept| kept.spec.clone()).ok_or_else(|| {
            let kept = history.keys().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            TransitionError::NoRevision { revision: *revision, kept }
        })?;
        checked(&spec)?;
        return Ok(Some(spec));
    }
    let mut spec = now.cloned().ok_or_else(|| TransitionError::Missing(id.to_owned()))?;
    let recorded = spec.blueprint.is_empty();
    if recorded && matches!(change, Change::Update { .. } | Change::Restore { .. }) {
        return Err(TransitionError::NeedsBlueprint { id: id.to_owned(), action: change.kind().name().to_owned() });
    }
    match change {
        Change::Adopt { .. } => return Err(TransitionError::Adopted(id.to_owned())),
        Change::Scale { replicas: Some(replicas), workload, .. } if recorded => {
            let keys: Vec<String> = spec.workloads.keys().cloned().collect();
            let key = unmanaged::resolve(id, &keys, workload.as_deref())?;
            spec.workloads.insert(key, *replicas);
        }
        Change::Scale { .. } if recorded => {
            return Err(TransitionError::NeedsBlueprint { id: id.to_owned(), action: "autoscaling".into() });
        }
        Change::Create { .. }
        | Change::Restart { .. }
        | Change::Backup { .. }
        | Change::Restore { .. }
        | Change::Rollback { .. } => {}
        Change::Update { version, plan, domains, config, config_keys, parameters } => {
            if let Some(version) = version {
                spec.version.clone_from(version);
            }
            if let Some(plan) = plan {
                spec.plan.clone_from(plan);
            }
            if let Some(domains) = domains {
                spec.domains.clone_from(domains);
            }
            if let Some(config) = config {
                spec.config = secret_config::apply_config(&mut spec, config);
            }
            for (key, value) in config_keys {
                if secret_config::is_secret(key) {
                    let problem = format!(
                        "{key:?} holds a secret, which is set for one tenant at a time (a change by key is recorded with its batch)"
                    );
                    return Err(InvalidInput::Field { field: "Config key", problem }.into());
                }
                match value {
                    Some(value) => spec.config.insert(key.clone(), value.clone()),
                    None => spec.config.remove(key),
                };
            }
            spec.parameters.extend(parameters.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Change::Scale { replicas, autoscaling, .. } => {
            if let Some(replicas) = replicas {
                spec.replicas = *replicas;
                spec.autoscaling = None;
            }
            if let Some(bounds) = autoscaling {
                spec.autoscaling = Some(*bounds);
                spec.replicas = bounds.min;
            }
        }
        Change::Suspend => spec.suspended = true,
        Change::Resume => spec.suspended = false,
        Change::Delete { confirm } => {
            validate::confirmation(id, confirm)?;
            return Ok(None);
        }
    }
    checked(&spec)?;
    Ok(Some(spec))
}

/// Checks `spec` as a blueprint's, or as a recorded one without a blueprint.
fn checked(spec: &TenantSpec) -> Result<(), InvalidInput> {
    if spec.blueprint.is_empty() { validate::recorded(spec, unmanaged::MAX_PODS) } else { validate::spec(spec) }
}

#[cfg(test)]
mod tests {
    use tenantry_model::{Autoscaling, TenantSpec};

    use super::*;

    fn spec() -> TenantSpec {
        TenantSpec {
            display_name: "Alder".into(),
            customer: "Alder".into(),
            domains: vec!["alder.example.com".into()],
            blueprint: "web".into(),
            version: "1.0".into(),
            plan: "small".into(),
            replicas: 2,
            ..TenantSpec::default()
        }
    }

    fn none() -> BTreeMap<u64, Revision> {
        BTreeMap::new()
    }

    fn kept(spec: TenantSpec) -> Revision {
        Revision { spec, by: String::new(), at: String::new(), action: String::new(), reason: String::new() }
    }

    #[test]
    fn a_rollback_restores_the_spec_of_that_revision() {
        let old = TenantSpec { version: "0.9".into(), ..spec() };
        let history: BTreeMap<u64, Revision> = [(1, kept(old.clone())), (2, kept(spec()))].into();
        assert_eq!(next_spec("alder", Some(&spec()), &history, &Change::Rollback { revision: 1 }), Ok(Some(old)));
        assert_eq!(
            next_spec("alder", Some(&spec()), &history, &Change::Rollback { revision: 7 })
                .expect_err("missing")
                .to_string(),
            "revision 7 is not in the tenant's history (it keeps: 1, 2)"
        );
    }

    #[test]
    fn each_change_gives_the_spec_it_promises() {
        let now = spec();
        let next = |change: Change| next_spec("alder", Some(&now), &none(), &change).expect("valid").expect("kept");
        let scaled = next(Change::Scale { replicas: Some(3), autoscaling: None, workload: None });
        assert_eq!(scaled, TenantSpec { replicas: 3, ..spec() });
        let autoscaled =
            next(Change::Scale { replicas: None, autoscaling: Some(Autoscaling { min: 2, max: 4 }), workload: None });
        assert_eq!(autoscaled.autoscaling, Some(Autoscaling { min: 2, max: 4 }));
        let suspended = next(Change::Suspend);
        assert!(suspended.suspended && suspended.replicas == 2, "the size is remembered");
        assert!(!next_spec("alder", Some(&suspended), &none(), &Change::Resume).expect("ok").expect("kept").suspended);
        let updated = next(Change::Update {
            version: Some("1.1".into()),
            plan: Some("medium".into()),
            domains: None,
            config: None,
            config_keys: BTreeMap::new(),
            parameters: BTreeMap::new(),
        });
        assert_eq!((updated.version.as_str(), updated.plan.as_str()), ("1.1", "medium"));
        assert_eq!(next(Change::Restart { workload: None, stamp: None }), now);
        assert_eq!(next_spec("alder", Some(&now), &none(), &Change::Delete { confirm: "alder".into() }), Ok(None));
    }

    #[test]
    fn an_update_by_key_keeps_the_other_keys_and_refuses_secret_ones() {
        let now = TenantSpec {
            config: [("A".to_owned(), "1".to_owned()), ("B".to_owned(), "2".to_owned())].into(),
            parameters: [("tier".to_owned(), "gold".to_owned())].into(),
            ..spec()
        };
        let by_key = |config_keys: BTreeMap<String, Option<String>>| Change::Update {
            version: None,
            plan: None,
            domains: None,
            config: None,
            config_keys,
            parameters: [("php".to_owned(), "8.3".to_owned())].into(),
        };
        let keys = [("A".to_owned(), None), ("C".to_owned(), Some("3".to_owned()))].into();
        let next = next_spec("alder", Some(&now), &none(), &by_key(keys)).expect("ok").expect("kept");
        let config: Vec<(&str, &str)> = next.config.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(config, [("B", "2"), ("C", "3")]);
        assert_eq!(next.parameters.len(), 2, "{:?}", next.parameters);
        let secret = [("DB_PASSWORD".to_owned(), Some("x".to_owned()))].into();
        assert!(matches!(next_spec("alder", Some(&now), &none(), &by_key(secret)), Err(TransitionError::Invalid(_))));
    }

    #[test]
    fn create_is_idempotent_but_never_overwrites() {
        assert_eq!(next_spec("alder", None, &none(), &Change::Create { spec: spec() }), Ok(Some(spec())));
        assert_eq!(next_spec("alder", Some(&spec()), &none(), &Change::Create { spec: spec() }), Ok(Some(spec())));
        let other = TenantSpec { version: "2.0".into(), ..spec() };
        assert_eq!(
            next_spec("alder", Some(&other), &none(), &Change::Create { spec: spec() }),
            Err(TransitionError::Exists("alder".into()))
        );
    }

    #[test]
    fn refusals() {
        let now = spec();
        let too_many = next_spec(
            "alder",
            Some(&now),
            &none(),
            &Change::Scale { replicas: Some(9), autoscaling: None, workload: None },
        );
        assert!(matches!(too_many, Err(TransitionError::Invalid(_))));
        assert_eq!(next_spec("alder", None, &none(), &Change::Suspend), Err(TransitionError::Missing("alder".into())));
        assert!(next_spec("Alder", None, &none(), &Change::Create { spec: spec() }).is_err());
        let wrong = next_spec("alder", Some(&now), &none(), &Change::Delete { confirm: "alde".into() });
        assert!(matches!(wrong, Err(TransitionError::Invalid(InvalidInput::Confirmation { .. }))));
    }
}
