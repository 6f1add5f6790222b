//! The fleet change form: what to do to the chosen tenants and how to roll it out, as typed,
//! turned into the request the backend plans — every mistake named before anything is sent.

use std::collections::BTreeMap;

use tenantry_model::{FleetChange, RolloutSettings};

/// The bulk actions the form offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Version, plan, config keys, parameters.
    Update,
    /// Pods: a number, or more/fewer than each runs.
    Scale,
    /// Replace every pod.
    Restart,
    /// Scale to zero, remembering the size.
    Suspend,
    /// Back to the remembered size.
    Resume,
    /// A backup now.
    Backup,
    /// Make tenants Tenantry did not create Tenantry tenants.
    Adopt,
}

impl BulkAction {
    /// Every bulk action, in menu order.
    pub const ALL: [Self; 7] =
        [Self::Update, Self::Scale, Self::Restart, Self::Suspend, Self::Resume, Self::Backup, Self::Adopt];

    /// The menu label (also the option value).
    pub fn label(self) -> &'static str {
        match self {
            Self::Update => "Update",
            Self::Scale => "Scale",
            Self::Restart => "Restart",
            Self::Suspend => "Suspend",
            Self::Resume => "Resume",
            Self::Backup => "Back up now",
            Self::Adopt => "Adopt",
        }
    }
}

/// The form as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutForm {
    /// What to do.
    pub action: BulkAction,
    /// New version (empty: keep).
    pub version: String,
    /// New plan (empty: keep).
    pub plan: String,
    /// Config keys, one per line: `KEY=VALUE` sets, `-KEY` removes.
    pub config: String,
    /// Blueprint parameters, one per line: `NAME=VALUE`.
    pub parameters: String,
    /// Scale: relative (`+2`, `-1`) rather than a number of pods.
    pub relative: bool,
    /// Scale: pods, or the difference.
    pub replicas: String,
    /// Backup id.
    pub backup: String,
    /// Adopt: the blueprint (empty: none, record what runs).
    pub blueprint: String,
    /// Canary tenants.
    pub canary: String,
    /// The canary chosen by name: `CLUSTER/ID`, one per line or comma-separated (empty: the
    /// first ones, spread over the clusters).
    pub canary_tenants: String,
    /// Tenants per later wave.
    pub wave_size: String,
    /// Tenants at once per cluster.
    pub per_cluster: String,
    /// Seconds a wave must stay healthy.
    pub hold: String,
    /// Failed tenants tolerated.
    pub max_failures: String,
    /// Failed share tolerated, percent.
    pub max_percent: String,
    /// Why (a ticket).
    pub reason: String,
}

impl RolloutForm {
    /// The form for `tenants` chosen tenants: a canary of about 1 % (1 to 10), waves of about a
    /// tenth (5 to 100); `stamp` names the backup.
    pub fn new(tenants: usize, stamp: &str) -> Self {
        let defaults = RolloutSettings::default();
        Self {
            action: BulkAction::Update,
            version: String::new(),
            plan: String::new(),
            config: String::new(),
            parameters: String::new(),
            relative: false,
            replicas: String::new(),
            backup: format!("rollout-{stamp}"),
            blueprint: String::new(),
            canary: (tenants / 100).clamp(1, 10).to_string(),
            canary_tenants: String::new(),
            wave_size: (tenants / 10).clamp(5, 100).to_string(),
            per_cluster: defaults.per_cluster.to_string(),
            hold: defaults.hold_seconds.to_string(),
            max_failures: defaults.max_failures.to_string(),
            max_percent: defaults.max_failure_percent.to_string(),
            reason: String::new(),
        }
    }

    /// The change asked for, or what is wrong with it.
    pub fn change(&self) -> Result<FleetChange, String> {
        let text = |value: &str| (!value.trim().is_empty()).then(|| value.trim().to_owned());
        Ok(match self.action {
            BulkAction::Update => {
                let change = FleetChange::Update {
                    version: text(&self.version),
                    plan: text(&self.plan),
                    config: keys(&self.config, true)?,
                    parameters: keys(&self.parameters, false)?
                        .into_iter()
                        .map(|(name, value)| (name, value.unwrap_or_default()))
                        .collect(),
                };
                if change.is_empty() {
                    return Err("Say what to update: a version, a plan, a config key or a parameter.".into());
                }
                change
            }
            BulkAction::Scale => {
                let typed = self.replicas.trim();
                let number: i32 = typed.trim_start_matches('+').parse().map_err(|_| {
                    if self.relative {
                        format!("Pods: {typed:?} is not a difference like +1 or -2")
                    } else {
                        format!("Pods: {typed:?} is not a whole number")
                    }
                })?;
                match self.relative {
                    true if number == 0 => return Err("Pods: a difference of 0 changes nothing".into()),
                    true => FleetChange::ScaleBy { delta: number },
                    false if number < 0 => return Err("Pods cannot be fewer than 0".into()),
                    false => FleetChange::ScaleTo { replicas: number },
                }
            }
            BulkAction::Restart => FleetChange::Restart,
            BulkAction::Suspend => FleetChange::Suspend,
            BulkAction::Resume => FleetChange::Resume,
            BulkAction::Backup => {
                FleetChange::Backup { backup: text(&self.backup).ok_or("Name the backup")?.to_owned() }
            }
            BulkAction::Adopt if self.blueprint.trim().is_empty() => {
                FleetChange::Adopt { blueprint: String::new(), plan: String::new(), version: None }
            }
            BulkAction::Adopt => FleetChange::Adopt {
                blueprint: self.blueprint.trim().to_owned(),
                plan: text(&self.plan).ok_or("Adopting with a blueprint needs a plan")?,
                version: text(&self.version),
            },
        })
    }

    /// The canary chosen by name, each among `targets`, or what is wrong with it.
    pub fn canary_tenants(&self, targets: &[(String, String)]) -> Result<Vec<(String, String)>, String> {
        let mut chosen: Vec<(String, String)> = Vec::new();
        for named in self.canary_tenants.split([',', '\n']).map(str::trim).filter(|n| !n.is_empty()) {
            let Some((cluster, id)) = named.split_once('/') else {
                return Err(format!("Canary tenant {named:?}: write CLUSTER/ID"));
            };
            let key = (cluster.trim().to_owned(), id.trim().to_owned());
            if !targets.contains(&key) {
                return Err(format!("Canary tenant {named} is not among the chosen tenants"));
            }
            if !chosen.contains(&key) {
                chosen.push(key);
            }
        }
        Ok(chosen)
    }

    /// How to roll it out, or what is wrong with it.
    pub fn settings(&self) -> Result<RolloutSettings, String> {
        let number = |label: &str, value: &str, least: usize| -> Result<usize, String> {
            match value.trim().parse::<usize>() {
                Ok(n) if n >= least => Ok(n),
                _ => Err(format!("{label} must be a whole number of at least {least}")),
            }
        };
        let percent = number("Failure share", &self.max_percent, 0)?;
        Ok(RolloutSettings {
            canary: number("Canary", &self.canary, 0)?,
            wave_size: number("Wave size", &self.wave_size, 1)?,
            per_cluster: number("At once per cluster", &self.per_cluster, 1)?,
            hold_seconds: number("Hold", &self.hold, 0)? as u64,
            max_failures: number("Failures allowed", &self.max_failures, 0)?,
            max_failure_percent: u8::try_from(percent.min(100)).unwrap_or(100),
        })
    }

    /// The reason, or why it is missing.
    pub fn reason(&self) -> Result<String, String> {
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Err("Say why (a ticket number, say): it goes on every tenant's audit entry.".into());
        }
        Ok(reason.to_owned())
    }
}

/// Lines of `KEY=VALUE` (set) and, when `removals`, `-KEY` (remove).
fn keys(text: &str, removals: bool) -> Result<BTreeMap<String, Option<String>>, String> {
    let mut keys = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(key) = line.strip_prefix('-').filter(|_| removals) {
            keys.insert(key.trim().to_owned(), None);
        } else if let Some((key, value)) = line.split_once('=').filter(|(k, _)| !k.trim().is_empty()) {
            keys.insert(key.trim().to_owned(), Some(value.trim().to_owned()));
        } else if removals {
            return Err(format!("{line:?}: write KEY=VALUE to set a key or -KEY to remove it"));
        } else {
            return Err(format!("{line:?}: write NAME=VALUE"));
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_by_key_reads_sets_and_removals_and_refuses_an_empty_one() {
        let mut form = RolloutForm::new(1000, "x");
        assert_eq!((form.canary.as_str(), form.wave_size.as_str()), ("10", "100"));
        assert!(form.change().is_err(), "nothing to update");
        form.config = "FEATURE_X = on\n-OLD_FLAG\n".into();
        form.parameters = "php=8.3".into();
        let FleetChange::Update { config, parameters, .. } = form.change().expect("change") else { panic!() };
        assert_eq!(config.get("FEATURE_X"), Some(&Some("on".to_owned())));
        assert_eq!(config.get("OLD_FLAG"), Some(&None));
        assert_eq!(parameters.get("php").map(String::as_str), Some("8.3"));
        form.config = "no equals sign".into();
        assert!(form.change().expect_err("no equals sign").contains("KEY=VALUE"));
    }

    #[test]
    fn scale_reads_a_number_or_a_difference_and_the_settings_their_bounds() {
        let mut form = RolloutForm {
            action: BulkAction::Scale,
            replicas: "+2".into(),
            relative: true,
            ..RolloutForm::new(3, "x")
        };
        assert_eq!(form.change(), Ok(FleetChange::ScaleBy { delta: 2 }));
        form.relative = false;
        form.replicas = "-1".into();
        assert!(form.change().is_err());
        form.wave_size = "0".into();
        assert!(form.settings().expect_err("a wave of 0").starts_with("Wave size"));
        assert!(form.reason().is_err());
    }

    #[test]
    fn a_named_canary_must_be_among_the_chosen_tenants() {
        let targets = [("eu".to_owned(), "a".to_owned()), ("us".to_owned(), "b".to_owned())];
        let mut form = RolloutForm { canary_tenants: " us/b ,\neu/a\nus/b".into(), ..RolloutForm::new(2, "x") };
        assert_eq!(form.canary_tenants(&targets), Ok(vec![targets[1].clone(), targets[0].clone()]));
        form.canary_tenants = "us/zz".into();
        assert!(form.canary_tenants(&targets).expect_err("not chosen").contains("not among"));
        form.canary_tenants = "just-a-name".into();
        assert!(form.canary_tenants(&targets).expect_err("no cluster").contains("CLUSTER/ID"));
    }

    #[test]
    fn adopting_with_a_blueprint_needs_a_plan_and_without_one_records_what_runs() {
        let mut form = RolloutForm { action: BulkAction::Adopt, ..RolloutForm::new(2, "x") };
        assert_eq!(
            form.change(),
            Ok(FleetChange::Adopt { blueprint: String::new(), plan: String::new(), version: None })
        );
        form.blueprint = "web".into();
        assert!(form.change().expect_err("no plan").contains("plan"));
        form.plan = "medium".into();
        let adopt = FleetChange::Adopt { blueprint: "web".into(), plan: "medium".into(), version: None };
        assert_eq!(form.change(), Ok(adopt));
    }
}
