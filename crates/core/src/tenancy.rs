//! Which namespaces are tenants: the tenancy rules of `tenancy.yaml` in the config folder. Each
//! rule names the namespaces it makes tenants — by label selector, name pattern, Capsule's tenant
//! label, or all of these together — on all clusters or the ones it lists, with an optional
//! shorter display alias and where the tenant's fields are read from when no spec says. System
//! namespaces (`kube-*`, `default`, Tenantry's own) and those under `never` are never tenants.
//! With no file, a tenant is what Tenantry labels one. A broken file is reported with its line,
//! and the last rules that loaded stay in force (a copy is kept beside the cache).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::labels::TENANT_LABEL;
use crate::pairs::Lookup;

/// Capsule's label on the namespaces of its tenants (the value is the Capsule `Tenant`).
pub const CAPSULE_TENANT_LABEL: &str = "capsule.clastix.io/tenant";
/// Namespaces that are never tenants, whatever the rules say.
const SYSTEM_NAMESPACES: [&str; 3] = ["default", "tenantry-system", "kube-node-lease"];

/// Why the tenancy file cannot be used; the rules loaded before stay in force.
#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    /// The file cannot be read or written.
    #[error("cannot read or write {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid; fix it at that line.
    #[error("{}, line {line}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl TenancyError {
    /// The error as the user sees it: the file and line to fix, or the file that cannot be used.
    pub fn to_ui(&self) -> tenantry_model::UiError {
        let kind = match self {
            Self::Invalid { .. } => tenantry_model::ErrorKind::Invalid,
            Self::Read { .. } => tenantry_model::ErrorKind::Internal,
        };
        crate::error::ui(kind, self.to_string(), self)
    }
}

/// The rules in force.
#[derive(Debug, Clone)]
pub struct TenancyRules {
    rules: Vec<Rule>,
    never: Vec<Pattern>,
}

/// A namespace as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The cluster's context.
    pub cluster: &'a str,
    /// The namespace's name.
    pub name: &'a str,
    /// Its labels.
    pub labels: &'a dyn Lookup,
}

/// What the rules say of a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A tenant, by rule number `rule` (1-based), shown as `alias` when the rule gives one.
    Tenant {
        /// The rule that matched.
        rule: usize,
        /// The shorter name shown.
        alias: Option<String>,
    },
    /// Never a tenant: a system namespace or one under `never`.
    Excluded,
    /// No rule makes it a tenant.
    Other,
}

impl Default for TenancyRules {
    /// Tenantry's own label makes a tenant, as without a file.
    fn default() -> Self {
        let selector = LabelSelector::parse(TENANT_LABEL).unwrap_or_default();
        Self {
            rules: vec![Rule {
                clusters: Vec::new(),
                labels: Some(selector),
                name: None,
                capsule: false,
                alias: None,
                workload: None,
                fields: FieldSources::default(),
            }],
            never: Vec::new(),
        }
    }
}

impl TenancyRules {
    /// The rules of `path`: the default rules when it does not exist.
    pub fn load(path: &Path) -> Result<Self, TenancyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(TenancyError::Read { path: path.to_owned(), source }),
        }
    }

    /// The rules of `path`; when it is broken, the last rules that loaded (kept in `last_good`)
    /// or the default ones, and the problem. A file that loads is copied to `last_good`.
    pub fn load_or_last_good(path: &Path, last_good: &Path) -> (Self, Option<TenancyError>) {
        match Self::load(path) {
            Ok(rules) => {
                if let Ok(text) = std::fs::read(path) {
                    let _ = last_good.parent().map(std::fs::create_dir_all);
                    let _ = std::fs::write(last_good, text);
                }
                (rules, None)
            }
            Err(problem) => {
                let kept = std::fs::read_to_string(last_good)
                    .ok()
                    .and_then(|text| Self::parse(last_good, &text).ok())
                    .unwrap_or_default();
                (kept, Some(problem))
            }
        }
    }

    /// The rules written in `text` (the file `path`, for errors).
    pub fn parse(path: &Path, text: &str) -> Result<Self, TenancyError> {
        let file: File = serde_yaml::from_str(text).map_err(|e| TenancyError::Invalid {
            path: path.to_owned(),
            line: e.location().map_or(1, |l| l.line()),
            message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
        })?;
        let invalid = |message: String| TenancyError::Invalid { path: path.to_owned(), line: 1, message };
        if file.rules.is_empty() {
            return Err(invalid("no rules: list at least one under `rules:`".into()));
        }
        for (index, rule) in file.rules.iter().enumerate() {
            if rule.labels.is_none() && rule.name.is_none() && !rule.capsule {
                return Err(invalid(format!(
                    "rule {} selects nothing: give `labels`, `name` or `capsule: true`",
                    index + 1
                )));
            }
        }
        Ok(Self { rules: file.rules, never: file.never })
    }

    /// What the rules say of `namespace`.
    pub fn verdict(&self, namespace: Candidate<'_>) -> Verdict {
        if is_system(namespace.name) || self.never.iter().any(|p| p.0.is_match(namespace.name)) {
            return Verdict::Excluded;
        }
        self.rules.iter().enumerate().find(|(_, rule)| rule.matches(namespace)).map_or(
            Verdict::Other,
            |(index, rule)| Verdict::Tenant { rule: index + 1, alias: rule.alias_of(namespace.name) },
        )
    }

    /// What the rules make of `namespaces` (names and labels) on `cluster`.
    pub fn tally(&self, cluster: &str, namespaces: &[(String, BTreeMap<String, String>)]) -> Tally {
        let mut tally = Tally::default();
        for (name, labels) in namespaces {
            match self.verdict(Candidate { cluster, name, labels }) {
                Verdict::Tenant { .. } => tally.tenants.push(name.clone()),
                Verdict::Excluded => tally.excluded += 1,
                Verdict::Other => tally.others += 1,
            }
        }
        tally.tenants.sort();
        tally
    }

    /// Writes `text` to `path` once it parses (through a temporary file, so a crash leaves the
    /// old file or the new one), and keeps it as the last good rules; returns the rules.
    pub fn save(path: &Path, last_good: &Path, text: &str) -> Result<Self, TenancyError> {
        let rules = Self::parse(path, text)?;
        let write = |target: &Path| -> std::io::Result<()> {
            if let Some(folder) = target.parent() {
                std::fs::create_dir_all(folder)?;
            }
            let temporary = target.with_extension("yaml.saving");
            std::fs::write(&temporary, text)?;
            std::fs::rename(&temporary, target)
        };
        write(path).map_err(|source| TenancyError::Read { path: path.to_owned(), source })?;
        let _ = write(last_good);
        Ok(rules)
    }

    /// Whether a rule makes tenants of Capsule's namespaces (Capsule's `Tenant` objects are then
    /// read for the customer).
    pub fn uses_capsule(&self) -> bool {
        self.rules.iter().any(|rule| rule.capsule)
    }

    /// Whether only Tenantry's own label selects tenants (the watches can then select by it).
    pub fn is_default(&self) -> bool {
        self.never.is_empty()
            && self.rules.len() == 1
            && self.rules[0].name.is_none()
            && !self.rules[0].capsule
            && self.rules[0].clusters.is_empty()
            && self.rules[0].labels.as_ref().is_some_and(|l| l.0 == [Requirement::Exists(TENANT_LABEL.into())])
    }

    /// Where the fields of a tenant matched by rule `rule` (1-based) are read from.
    pub fn fields(&self, rule: usize) -> Option<&FieldSources> {
        self.rules.get(rule.checked_sub(1)?).map(|r| &r.fields)
    }

    /// The main workload rule `rule` (1-based) names, if it names one.
    pub fn main_workload(&self, rule: usize) -> Option<&str> {
        self.rules.get(rule.checked_sub(1)?)?.workload.as_deref()
    }
}

/// What the rules make of one cluster's namespaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// The tenants, by name.
    pub tenants: Vec<String>,
    /// Namespaces never tenants (system ones, those under `never`).
    pub excluded: u32,
    /// Namespaces no rule makes a tenant.
    pub others: u32,
}

/// Whether `name` is a system namespace.
fn is_system(name: &str) -> bool {
    name.starts_with("kube-") || SYSTEM_NAMESPACES.contains(&name)
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(default)]
    never: Vec<Pattern>,
}

/// One rule: a namespace it selects is a tenant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    /// The contexts it applies to; all when empty.
    #[serde(default)]
    clusters: Vec<String>,
    /// A label selector the namespace must match.
    labels: Option<LabelSelector>,
    /// A pattern the namespace's name must match.
    name: Option<Pattern>,
    /// Whether the namespace must carry Capsule's tenant label.
    #[serde(default)]
    capsule: bool,
    /// A pattern whose first group is the display alias.
    alias: Option<Pattern>,
    /// The name of the workload that serves the site (its version and pods are the row's).
    workload: Option<String>,
    /// Where the tenant's fields are read from.
    #[serde(default)]
    fields: FieldSources,
}

impl Rule {
    fn matches(&self, namespace: Candidate<'_>) -> bool {
        (self.clusters.is_empty() || self.clusters.iter().any(|c| c == namespace.cluster))
            && self.labels.as_ref().is_none_or(|selector| selector.matches(namespace.labels))
            && self.name.as_ref().is_none_or(|pattern| pattern.0.is_match(namespace.name))
            && (!self.capsule || namespace.labels.value(CAPSULE_TENANT_LABEL).is_some())
    }

    fn alias_of(&self, name: &str) -> Option<String> {
        let captures = self.alias.as_ref()?.0.captures(name)?;
        captures.get(1).map(|m| m.as_str().to_owned()).filter(|alias| !alias.is_empty())
    }
}

/// Where a tenant's fields come from when no spec gives them: `label:KEY` or `annotation:KEY`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSources {
    /// The display name.
    pub display_name: Option<FieldSource>,
    /// The customer.
    pub customer: Option<FieldSource>,
    /// The plan.
    pub plan: Option<FieldSource>,
}

/// A namespace label or annotation a field is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldSource {
    /// The label with this key.
    Label(String),
    /// The annotation with this key.
    Annotation(String),
}

impl<'de> Deserialize<'de> for FieldSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.split_once(':') {
            Some(("label", key)) if !key.is_empty() => Ok(Self::Label(key.to_owned())),
            Some(("annotation", key)) if !key.is_empty() => Ok(Self::Annotation(key.to_owned())),
            _ => Err(serde::de::Error::custom(format!("{text:?} is neither `label:KEY` nor `annotation:KEY`"))),
        }
    }
}

/// A regular expression, checked when the file loads.
#[derive(Debug, Clone)]
struct Pattern(Regex);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Regex::new(&text)
            .map(Self)
            .map_err(|e| serde::de::Error::custom(format!("{text:?} is not a valid pattern: {e}")))
    }
}

/// A label selector of equality and existence requirements, as kubectl writes them:
/// `tier=gold,customer,!legacy,env!=test`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LabelSelector(Vec<Requirement>);

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Exists(String),
    Absent(String),
    Equals(String, String),
    Differs(String, String),
}

impl LabelSelector {
    fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for part in text.split(',').map(str::trim) {
            let requirement = if let Some((key, value)) = part.split_once("!=") {
                Requirement::Differs(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
                Requirement::Equals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some(key) = part.strip_prefix('!') {
                Requirement::Absent(key.trim().to_owned())
            } else {
                Requirement::Exists(part.to_owned())
            };
            let key = match &requirement {
                Requirement::Exists(k)
                | Requirement::Absent(k)
                | Requirement::Equals(k, _)
                | Requirement::Differs(k, _) => k,
            };
            if key.is_empty() || key.contains(char::is_whitespace) || key.contains(['(', ')']) {
                return Err(format!(
                    "{text:?} is not a label selector (write `key`, `!key`, `key=value` or `key!=value`, separated by commas)"
                ));
            }
            requirements.push(requirement);
        }
        Ok(Self(requirements))
    }

    fn matches(&self, labels: &dyn Lookup) -> bool {
        self.0.iter().all(|requirement| match requirement {
            Requirement::Exists(key) => labels.value(key).is_some(),
            Requirement::Absent(key) => labels.value(key).is_none(),
            Requirement::Equals(key, value) => labels.value(key) == Some(value.as_str()),
            Requirement::Differs(key, value) => labels.value(key) != Some(value.as_str()),
        })
    }
}

impl<'de> Deserialize<'de> for LabelSelector {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn verdict(rules: &TenancyRules, cluster: &str, name: &str, pairs: &[(&str, &str)]) -> Verdict {
        rules.verdict(Candidate { cluster, name, labels: &labels(pairs) })
    }

    const FILE: &str = "rules:\n  - name: '^shop-[a-z0-9-]+$'\n    alias: '^shop-(.+)$'\n    workload: web\n    fields:\n      customer: label:customer\n      display_name: annotation:example.com/title\n  - clusters: [eu-west]\n    labels: 'team=lms,!legacy'\n  - capsule: true\nnever: ['^shop-sandbox']\n";

    #[test]
    fn rules_select_by_name_labels_capsule_and_cluster() {
        let rules = TenancyRules::parse(Path::new("tenancy.yaml"), FILE).expect("valid");
        assert_eq!(
            verdict(&rules, "us-east", "shop-alder", &[]),
            Verdict::Tenant { rule: 1, alias: Some("alder".into()) }
        );
        assert_eq!(
            verdict(&rules, "eu-west", "moodle-1", &[("team", "lms")]),
            Verdict::Tenant { rule: 2, alias: None }
        );
        assert_eq!(verdict(&rules, "us-east", "moodle-1", &[("team", "lms")]), Verdict::Other, "rule 2 is eu-west's");
        assert_eq!(verdict(&rules, "eu-west", "moodle-2", &[("team", "lms"), ("legacy", "")]), Verdict::Other);
        assert_eq!(
            verdict(&rules, "any", "acme", &[(CAPSULE_TENANT_LABEL, "acme")]),
            Verdict::Tenant { rule: 3, alias: None }
        );
        assert_eq!(verdict(&rules, "any", "shop-sandbox-1", &[]), Verdict::Excluded);
        assert_eq!(verdict(&rules, "any", "kube-system", &[(CAPSULE_TENANT_LABEL, "x")]), Verdict::Excluded);
        assert_eq!(verdict(&rules, "any", "default", &[(CAPSULE_TENANT_LABEL, "x")]), Verdict::Excluded);
        assert_eq!(rules.fields(1).and_then(|f| f.customer.clone()), Some(FieldSource::Label("customer".into())));
        assert_eq!((rules.main_workload(1), rules.main_workload(2)), (Some("web"), None));
        assert!(!rules.is_default());
    }

    #[test]
    fn a_tally_counts_tenants_excluded_and_other_namespaces() {
        let rules = TenancyRules::parse(Path::new("tenancy.yaml"), FILE).expect("valid");
        let namespaces: Vec<(String, BTreeMap<String, String>)> =
            ["shop-b", "shop-a", "shop-sandbox-1", "kube-system", "monitoring"]
                .iter()
                .map(|n| ((*n).to_owned(), labels(&[])))
                .collect();
        let tally = rules.tally("us-east", &namespaces);
        assert_eq!(tally, Tally { tenants: vec!["shop-a".into(), "shop-b".into()], excluded: 2, others: 1 });
    }

    #[test]
    fn saving_writes_only_rules_that_parse() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, last_good) = (dir.path().join("config/tenancy.yaml"), dir.path().join("data/last.yaml"));
        TenancyRules::save(&path, &last_good, FILE).expect("saved");
        let broken = TenancyRules::save(&path, &last_good, "rules:\n  - name: '['\n");
        assert!(broken.is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("kept"), FILE, "the file that parsed stays");
        assert_eq!(std::fs::read_to_string(&last_good).expect("last good"), FILE);
    }

    #[test]
    fn without_a_file_tenantrys_label_makes_a_tenant() {
        let folder = tempfile::tempdir().expect("temp dir");
        let rules = TenancyRules::load(&folder.path().join("tenancy.yaml")).expect("defaults");
        assert!(rules.is_default());
        assert_eq!(
            verdict(&rules, "eu", "alder", &[(TENANT_LABEL, "alder")]),
            Verdict::Tenant { rule: 1, alias: None }
        );
        assert_eq!(verdict(&rules, "eu", "shop-alder", &[]), Verdict::Other);
    }

    #[test]
    fn a_broken_file_is_reported_with_its_line_and_the_last_good_rules_stay() {
        let folder = tempfile::tempdir().expect("temp dir");
        let path = folder.path().join("tenancy.yaml");
        let last_good = folder.path().join("data/tenancy.last-good.yaml");
        std::fs::write(&path, FILE).expect("write");
        let (rules, problem) = TenancyRules::load_or_last_good(&path, &last_good);
        assert!(problem.is_none() && !rules.is_default());
        let cases = [
            ("rules:\n  - name: '^shop-('\n", "line 2", "is not a valid pattern"),
            ("rules:\n  - labels: 'team=lms'\n    colour: blue\n", "line 3", "unknown field `colour`"),
            ("rules:\n  - labels: 'a b'\n", "line 2", "is not a label selector"),
            ("rules:\n  - clusters: [eu]\n", "line 1", "rule 1 selects nothing"),
            ("rules:\n  - name: x\n    fields: {plan: 'tag:plan'}\n", "line 3", "neither `label:KEY`"),
        ];
        for (text, line, message) in cases {
            std::fs::write(&path, text).expect("write");
            let (kept, problem) = TenancyRules::load_or_last_good(&path, &last_good);
            let problem = problem.expect(message).to_string();
            assert!(
                problem.starts_with(&format!("{}, {line}: ", path.display())) && problem.contains(message),
                "{problem}"
            );
            assert_eq!(
                verdict(&kept, "eu", "shop-alder", &[]),
                Verdict::Tenant { rule: 1, alias: Some("alder".into()) }
            );
        }
    }
}
