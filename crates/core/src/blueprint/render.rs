//! Rendering a blueprint: the template context (`tenant`, `plan`, `params`,
//! `generated_secret()`), minijinja in strict mode, and the checks every rendered object passes
//! before it may be applied (a namespaced object of the tenant, with Tenantry's labels).

use std::collections::BTreeMap;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use serde_json::{Map, Value};
use tenantry_model::{Autoscaling, BackupPolicy, TenantSpec};

use super::{Blueprint, BlueprintError, Origin, params, plan};
use crate::labels::{MANAGED_BY, TENANT_LABEL};

/// Characters of a generated credential.
const SECRET_LENGTH: usize = 32;

/// One rendered object, ready to be applied to the tenant's namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The object as JSON, namespace and Tenantry's labels set.
    pub object: Value,
}

impl Manifest {
    /// Its `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.object["apiVersion"].as_str().unwrap_or_default()
    }

    /// Its `kind`.
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }

    /// Its `metadata.name`.
    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }

    /// Whether it is created once and then left alone: Secrets hold generated credentials,
    /// which a second render would replace with new ones.
    pub fn create_only(&self) -> bool {
        self.api_version() == "v1" && self.kind() == "Secret"
    }
}

/// The tenant as templates see it (`tenant.id`, `tenant.domains`, …).
#[derive(Serialize)]
struct TenantView<'a> {
    id: &'a str,
    display_name: &'a str,
    customer: &'a str,
    domains: &'a [String],
    version: &'a str,
    plan: &'a str,
    replicas: i32,
    autoscaling: Option<Autoscaling>,
    config: &'a BTreeMap<String, String>,
    backup: Option<&'a BackupPolicy>,
    suspended: bool,
}

impl Blueprint {
    /// The objects of tenant `id` with `spec`, in the blueprint's order.
    pub fn render(&self, id: &str, spec: &TenantSpec) -> Result<Vec<Manifest>, BlueprintError> {
        let text = self.render_text(&self.body, self.body_line, id, spec, None)?;
        objects(&self.origin, &text, id)
    }

    /// The restore Job of tenant `id` for backup `backup_id`.
    pub fn render_restore(&self, id: &str, spec: &TenantSpec, backup_id: &str) -> Result<Manifest, BlueprintError> {
        let (template, line) = self.restore.as_ref().ok_or_else(|| BlueprintError::NoRestore(self.name.clone()))?;
        let text = self.render_text(template, *line, id, spec, Some(backup_id))?;
        let mut objects = objects(&self.origin, &text, id)?;
        match (objects.pop(), objects.is_empty()) {
            (Some(job), true) if job.kind() == "Job" => Ok(job),
            _ => Err(BlueprintError::Object {
                origin: self.origin.clone(),
                index: 1,
                message: "the restore template must render exactly one Job".into(),
            }),
        }
    }

    fn render_text(
        &self,
        template: &str,
        first_line: usize,
        id: &str,
        spec: &TenantSpec,
        backup_id: Option<&str>,
    ) -> Result<String, BlueprintError> {
        let plan = plan::plan(&spec.plan).ok_or_else(|| BlueprintError::UnknownPlan { plan: spec.plan.clone() })?;
        let params = params::resolve(&self.name, &self.parameters, &spec.parameters)?;
        let tenant = TenantView {
            id,
            display_name: &spec.display_name,
            customer: &spec.customer,
            domains: &spec.domains,
            version: &spec.version,
            plan: &spec.plan,
            replicas: spec.replicas,
            autoscaling: spec.autoscaling,
            config: &spec.config,
            backup: spec.backup.as_ref(),
            suspended: spec.suspended,
        };
        let context = minijinja::context! { tenant, plan, params, backup_id };
        environment().render_str(template, context).map_err(|e| template_error(&self.origin, first_line, &e))
    }
}

/// Checks the blueprint's templates for syntax errors.
pub(super) fn check_syntax(blueprint: &Blueprint) -> Result<(), BlueprintError> {
    let env = environment();
    let templates = std::iter::once((&blueprint.body, blueprint.body_line))
        .chain(blueprint.restore.as_ref().map(|(template, line)| (template, *line)));
    for (template, line) in templates {
        env.template_from_str(template).map_err(|e| template_error(&blueprint.origin, line, &e))?;
    }
    Ok(())
}

/// A strict environment (an undefined name is an error, not an empty string) with
/// `generated_secret()`.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_function("generated_secret", generated_secret);
    env
}

/// A fresh random credential: letters and digits.
fn generated_secret() -> Result<String, minijinja::Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut bytes = [0u8; SECRET_LENGTH];
    getrandom::fill(&mut bytes)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("no random source: {e}")))?;
    Ok(bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect())
}

fn template_error(origin: &Origin, first_line: usize, error: &minijinja::Error) -> BlueprintError {
    let message = match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    };
    BlueprintError::Template { origin: origin.clone(), line: first_line + error.line().unwrap_or(1) - 1, message }
}

/// The rendered YAML documents as checked objects of tenant `id`.
fn objects(origin: &Origin, text: &str, id: &str) -> Result<Vec<Manifest>, BlueprintError> {
    let mut manifests = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let index = manifests.len() + 1;
        let invalid = |message: String| BlueprintError::Object { origin: origin.clone(), index, message };
        let value =
            <serde_yaml::Value as serde::Deserialize>::deserialize(document).map_err(|e| invalid(e.to_string()))?;
        if value.is_null() {
            continue;
        }
        let object = serde_json::to_value(value).map_err(|e| invalid(e.to_string()))?;
        manifests.push(Manifest { object: owned_by_tenant(object, id).map_err(invalid)? });
    }
    Ok(manifests)
}

/// Checks an object and puts it into tenant `id`'s namespace with Tenantry's labels.
fn owned_by_tenant(mut object: Value, id: &str) -> Result<Value, String> {
    let fields = object.as_object_mut().ok_or("is not a mapping")?;
    for field in ["apiVersion", "kind"] {
        if !fields.get(field).is_some_and(Value::is_string) {
            return Err(format!("has no {field}"));
        }
    }
    if fields["kind"] == "Namespace" {
        return Err("is a Namespace; Tenantry writes the tenant's namespace itself".into());
    }
    let metadata = fields.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    let metadata = metadata.as_object_mut().ok_or("has metadata that is not a mapping")?;
    if metadata.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err("has no metadata.name".into());
    }
    match metadata.get("namespace").and_then(Value::as_str) {
        Some(namespace) if namespace != id => {
            return Err(format!("names namespace {namespace:?}; objects belong to the tenant's own namespace"));
        }
        _ => {}
    }
    metadata.insert("namespace".into(), id.into());
    let labels = metadata.entry("labels").or_insert_with(|| Value::Object(Map::new()));
    let labels = labels.as_object_mut().ok_or("has labels that are not a mapping")?;
    labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    labels.insert(TENANT_LABEL.into(), id.into());
    Ok(object)
}

#[cfg(test)]
mod tests {
    use tenantry_model::{Autoscaling, BackupPolicy, TenantSpec};

    use super::*;
    use crate::blueprint::Catalog;

    fn web() -> Blueprint {
        let folder = tempfile::tempdir().expect("temp dir");
        Catalog::load(folder.path()).get("web").expect("web").clone()
    }

    fn spec() -> TenantSpec {
        TenantSpec {
            display_name: "Alder Books site".into(),
            customer: "Alder Books".into(),
            domains: vec!["alder-books.example.com".into(), "www.alder-books.example.com".into()],
            blueprint: "web".into(),
            version: "6.5.1".into(),
            plan: "small".into(),
            replicas: 2,
            config: [("SITE_NAME".to_owned(), "Alder \"Books\"".to_owned())].into(),
            backup: Some(BackupPolicy { schedule: "0 3 * * *".into(), retention: 7 }),
            ..TenantSpec::default()
        }
    }

    fn kinds(manifests: &[Manifest]) -> Vec<&str> {
        manifests.iter().map(Manifest::kind).collect()
    }

    fn find<'a>(manifests: &'a [Manifest], kind: &str) -> &'a Value {
        &manifests.iter().find(|m| m.kind() == kind).expect(kind).object
    }

    #[test]
    fn the_web_blueprint_renders_a_whole_tenant() {
        let manifests = web().render("alder-books", &spec()).expect("renders");
        let expected = [
            "ResourceQuota",
            "LimitRange",
            "ConfigMap",
            "Secret",
            "PersistentVolumeClaim",
            "Deployment",
            "Service",
            "Ingress",
            "CronJob",
            "NetworkPolicy",
        ];
        assert_eq!(kinds(&manifests), expected);
        for manifest in &manifests {
            let metadata = &manifest.object["metadata"];
            assert_eq!(metadata["namespace"], "alder-books", "{}", manifest.kind());
            assert_eq!(metadata["labels"]["tenantry.io/tenant"], "alder-books");
            assert_eq!(metadata["labels"]["app.kubernetes.io/managed-by"], "tenantry");
        }
        let deployment = find(&manifests, "Deployment");
        assert_eq!(deployment["spec"]["replicas"], 2);
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["image"], "registry.example.com/web:6.5.1");
        assert_eq!(container["resources"]["limits"]["memory"], "256Mi");
        assert_eq!(find(&manifests, "ConfigMap")["data"]["SITE_NAME"], "Alder \"Books\"");
        assert_eq!(find(&manifests, "ConfigMap")["data"]["SITE_DOMAIN"], "alder-books.example.com");
        let hosts: Vec<&Value> = find(&manifests, "Ingress")["spec"]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| &r["host"])
            .collect();
        assert_eq!(hosts, ["alder-books.example.com", "www.alder-books.example.com"]);
        assert_eq!(find(&manifests, "ResourceQuota")["spec"]["hard"]["requests.storage"], "5Gi");
        assert_eq!(find(&manifests, "CronJob")["spec"]["successfulJobsHistoryLimit"], 7);
        assert!(manifests.iter().filter(|m| m.create_only()).map(Manifest::kind).eq(["Secret"]));
    }

    #[test]
    fn suspension_autoscaling_and_backups_change_what_is_rendered() {
        let suspended =
            TenantSpec { suspended: true, autoscaling: Some(Autoscaling { min: 2, max: 5 }), backup: None, ..spec() };
        let manifests = web().render("alder-books", &suspended).expect("renders");
        assert_eq!(find(&manifests, "Deployment")["spec"]["replicas"], 0);
        assert!(!kinds(&manifests).contains(&"HorizontalPodAutoscaler"));
        assert!(!kinds(&manifests).contains(&"CronJob"));

        let autoscaled = TenantSpec { autoscaling: Some(Autoscaling { min: 2, max: 5 }), ..spec() };
        let manifests = web().render("alder-books", &autoscaled).expect("renders");
        assert!(find(&manifests, "Deployment")["spec"].get("replicas").is_none(), "the autoscaler owns replicas");
        let hpa = find(&manifests, "HorizontalPodAutoscaler");
        assert_eq!((&hpa["spec"]["minReplicas"], &hpa["spec"]["maxReplicas"]), (&Value::from(2), &Value::from(5)));
    }

    #[test]
    fn every_render_generates_fresh_credentials() {
        let secret = |m: Vec<Manifest>| {
            find(&m, "Secret")["stringData"]["ADMIN_PASSWORD"].as_str().expect("password").to_owned()
        };
        let first = secret(web().render("a", &spec()).expect("renders"));
        let second = secret(web().render("a", &spec()).expect("renders"));
        assert_eq!(first.len(), SECRET_LENGTH);
        assert_ne!(first, second);
    }

    #[test]
    fn the_restore_job_names_the_backup() {
        let job = web().render_restore("alder-books", &spec(), "nightly-7").expect("renders");
        assert_eq!(job.name(), "restore-nightly-7");
        assert_eq!(job.object["metadata"]["labels"]["tenantry.io/restore"], "nightly-7");
        assert_eq!(job.object["spec"]["template"]["spec"]["containers"][0]["args"][2], "nightly-7");
    }

    #[test]
    fn bad_specs_and_bad_objects_are_refused_clearly() {
        let unknown_plan = web().render("a", &TenantSpec { plan: "huge".into(), ..spec() }).expect_err("plan");
        assert_eq!(unknown_plan.to_string(), "there is no plan \"huge\" (plans: small, medium, large)");
        let bad_port = TenantSpec { parameters: [("port".to_owned(), "0".to_owned())].into(), ..spec() };
        let error = web().render("a", &bad_port).expect_err("port").to_string();
        assert_eq!(error, "parameter \"port\" of blueprint web: must be at least 1, not 0");

        let cases = [
            ("name: t\n---\nkind: ConfigMap\nmetadata: {name: c}\n", "object 1: has no apiVersion"),
            ("name: t\n---\napiVersion: v1\nkind: ConfigMap\n", "object 1: has no metadata.name"),
            ("name: t\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n", "object 1: is a Namespace"),
            (
                "name: t\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: other}\n",
                "object 1: names namespace \"other\"",
            ),
            (
                "name: t\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {{ tenant.nope }}\n",
                "line 6: ",
            ),
        ];
        for (source, expected) in cases {
            let blueprint = Blueprint::parse(Origin::File("t.yaml".into()), source).expect("parses");
            let error = blueprint.render("a", &spec()).expect_err(expected).to_string();
            assert!(error.starts_with(&format!("t.yaml, {expected}")), "{expected}: {error}");
        }
    }
}
