//! Rendering a blueprint: the template context (`tenant`, `plan`, `params`,
//! `generated_secret()`), minijinja in strict mode printing values as data (`data.rs`), each
//! document parsed on its own, and the checks every rendered object passes before it may be
//! applied (a namespaced object of the tenant, of a kind the blueprint may write, with
//! Tenantry's labels), refused with the file and line of its document.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use serde_json::{Map, Value};
use tenantry_model::{Autoscaling, BackupPolicy, TenantSpec};

use super::data::{self, Printed};
use super::{Blueprint, BlueprintError, Origin, params, plan};
use crate::labels::{MANAGED_BY, TENANT_LABEL};

/// Characters of a generated credential.
const SECRET_LENGTH: usize = 32;

/// One rendered object, ready to be applied to the tenant's namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The object as JSON, namespace and Tenantry's labels set.
    pub object: Value,
    /// The blueprint it was rendered from.
    origin: Origin,
    /// The file line its document starts on.
    line: usize,
}

impl Manifest {
    /// An object a tenant without a blueprint has recorded in its spec (a workload's size).
    pub fn recorded(object: Value) -> Self {
        Self { object, origin: Origin::Recorded, line: 1 }
    }

    /// A refusal of this object, naming the file and line it was written at.
    pub fn refused(&self, message: impl Into<String>) -> BlueprintError {
        BlueprintError::Object { origin: self.origin.clone(), line: self.line, message: message.into() }
    }

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
    secret_config: &'a BTreeMap<String, String>,
    backup: Option<&'a BackupPolicy>,
    suspended: bool,
}

impl Blueprint {
    /// The objects of tenant `id` with `spec`, in the blueprint's order.
    pub fn render(&self, id: &str, spec: &TenantSpec) -> Result<Vec<Manifest>, BlueprintError> {
        let (text, printed) = self.render_text(&self.body, self.body_line, id, spec, None)?;
        self.objects(&text, self.body_line, &printed, id)
    }

    /// The restore Job of tenant `id` for backup `backup_id`.
    pub fn render_restore(&self, id: &str, spec: &TenantSpec, backup_id: &str) -> Result<Manifest, BlueprintError> {
        let (template, line) = self.restore.as_ref().ok_or_else(|| BlueprintError::NoRestore(self.name.clone()))?;
        let (text, printed) = self.render_text(template, *line, id, spec, Some(backup_id))?;
        let mut objects = self.objects(&text, *line, &printed, id)?;
        match (objects.pop(), objects.is_empty()) {
            (Some(job), true) if job.kind() == "Job" => Ok(job),
            _ => Err(BlueprintError::Object {
                origin: self.origin.clone(),
                line: *line,
                message: "the restore template must render exactly one Job".into(),
            }),
        }
    }

    /// The template rendered with every printed value as a token, and the values.
    fn render_text(
        &self,
        template: &str,
        first_line: usize,
        id: &str,
        spec: &TenantSpec,
        backup_id: Option<&str>,
    ) -> Result<(String, Arc<Printed>), BlueprintError> {
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
            secret_config: &spec.secret_config,
            backup: spec.backup.as_ref(),
            suspended: spec.suspended,
        };
        let context = minijinja::context! { tenant, plan, params, backup_id };
        let failed = |e: minijinja::Error| template_error(&self.origin, first_line, &e);
        let printed = Printed::new().map_err(failed)?;
        let text =
            environment(Arc::clone(&printed)).render_str(&marked(template, first_line), context).map_err(failed)?;
        Ok((text, printed))
    }

    /// The rendered documents as checked objects of tenant `id`, each document parsed on its own
    /// and its printed values put back as data.
    fn objects(
        &self,
        text: &str,
        first_line: usize,
        printed: &Printed,
        id: &str,
    ) -> Result<Vec<Manifest>, BlueprintError> {
        let mut manifests = Vec::new();
        for (line, document) in documents(text, first_line) {
            let invalid = |message: String| BlueprintError::Object { origin: self.origin.clone(), line, message };
            let value: serde_yaml::Value = serde_yaml::from_str(&document).map_err(|e| invalid(e.to_string()))?;
            if value.is_null() {
                continue;
            }
            let parsed = serde_json::to_value(value).map_err(|e| invalid(e.to_string()))?;
            let object = printed.fill(parsed).map_err(&invalid)?;
            let object = owned_by_tenant(object, id, &self.allowed_kinds).map_err(invalid)?;
            manifests.push(Manifest { object, origin: self.origin.clone(), line });
        }
        Ok(manifests)
    }
}

/// Comment put on each document separator of a template, naming the file line its object
/// starts on, so a rendered object is reported where it was written.
const LINE_MARK: &str = "#tenantry-line";

/// `template` with each `---` line marked with the file line of the object after it.
fn marked(template: &str, first_line: usize) -> String {
    template
        .lines()
        .enumerate()
        .map(|(index, line)| {
            if line.trim_end() == "---" {
                format!("--- {LINE_MARK} {}", first_line + index + 1)
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rendered text split at its separators (only the template's own: printed values are
/// tokens) into documents with the file line each starts on.
fn documents(text: &str, first_line: usize) -> Vec<(usize, String)> {
    let mut documents = vec![(first_line, String::new())];
    for line in text.lines() {
        let separator = line.strip_prefix("---").and_then(|rest| rest.trim().strip_prefix(LINE_MARK));
        match separator.and_then(|number| number.trim().parse().ok()) {
            Some(start) => documents.push((start, String::new())),
            None => {
                if let Some((_, document)) = documents.last_mut() {
                    document.push_str(line);
                    document.push('\n');
                }
            }
        }
    }
    documents
}

/// Checks the blueprint's templates for syntax errors.
pub(super) fn check_syntax(blueprint: &Blueprint) -> Result<(), BlueprintError> {
    let templates = std::iter::once((&blueprint.body, blueprint.body_line))
        .chain(blueprint.restore.as_ref().map(|(template, line)| (template, *line)));
    for (template, line) in templates {
        let failed = |e: minijinja::Error| template_error(&blueprint.origin, line, &e);
        let env = environment(Printed::new().map_err(failed)?);
        env.template_from_str(&marked(template, line)).map_err(failed)?;
    }
    Ok(())
}

/// A strict environment (an undefined name is an error, not an empty string) printing values
/// as data into `printed`, with `generated_secret()`.
fn environment(printed: Arc<Printed>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(data::formatter(printed));
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

/// Kinds that are never namespaced: a blueprint can never write them, since they would reach
/// beyond the tenant.
const CLUSTER_SCOPED: [&str; 16] = [
    "APIService",
    "CSIDriver",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
];
/// API groups whose objects grant or intercept access: written only by a blueprint that opts
/// into each kind (`allow_kinds` in its header).
const GUARDED_GROUPS: [&str; 2] = ["rbac.authorization.k8s.io", "admissionregistration.k8s.io"];

/// Checks an object and puts it into tenant `id`'s namespace with Tenantry's labels; a guarded
/// kind must be in `allowed`.
fn owned_by_tenant(mut object: Value, id: &str, allowed: &[String]) -> Result<Value, String> {
    let fields = object.as_object_mut().ok_or("is not a mapping")?;
    for field in ["apiVersion", "kind"] {
        if !fields.get(field).is_some_and(Value::is_string) {
            return Err(format!("has no {field}"));
        }
    }
    let kind = fields["kind"].as_str().unwrap_or_default().to_owned();
    let group = fields["apiVersion"].as_str().unwrap_or_default().rsplit_once('/').map_or("", |(group, _)| group);
    if kind == "Namespace" {
        return Err("is a Namespace; Tenantry writes the tenant's namespace itself".into());
    }
    if CLUSTER_SCOPED.contains(&kind.as_str()) {
        return Err(format!(
            "is a {kind}, which is cluster-scoped; a blueprint writes only into the tenant's namespace"
        ));
    }
    if GUARDED_GROUPS.contains(&group) && !allowed.contains(&kind) {
        return Err(format!(
            "is a {kind} ({group}), which grants access; a blueprint writes one only with `allow_kinds: [{kind}]` in its header"
        ));
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
    fn a_blueprint_that_opts_into_a_role_binding_may_render_one() {
        let source = "name: t\nallow_kinds: [RoleBinding]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: r}\n";
        let blueprint = Blueprint::parse(Origin::File("t.yaml".into()), source).expect("parses");
        assert_eq!(kinds(&blueprint.render("a", &spec()).expect("renders")), ["RoleBinding"]);
    }

    /// What identifies each rendered object: apiVersion, kind, namespace, name.
    fn identities(manifests: &[Manifest]) -> Vec<(String, String, String, String)> {
        manifests
            .iter()
            .map(|m| {
                let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                (
                    text(&m.object["apiVersion"]),
                    text(&m.object["kind"]),
                    text(&m.object["metadata"]["namespace"]),
                    text(&m.object["metadata"]["name"]),
                )
            })
            .collect()
    }

    #[test]
    fn no_value_can_add_rename_or_retarget_an_object() {
        let attacks = [
            "x\"\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: pwn, namespace: kube-system}\nroleRef: {kind: ClusterRole, name: admin}",
            "x\n  namespace: kube-system\n  name: other",
            "\" }\nkind: Secret\nmetadata: {name: stolen}\n#",
            "{{ generated_secret() }} {% raw %}",
            "&anchor [*anchor, *anchor]",
            "'; DROP TABLE tenants; --",
            "--- !!python/object:os.system",
            "x: y\n...\n---\n",
            &"\u{202e}very long ".repeat(2000),
        ];
        let benign = web().render("alder-books", &spec()).expect("renders");
        let blueprint_with_params = web();
        for attack in attacks {
            let mut hostile = spec();
            hostile.config.insert("SITE_NAME".into(), attack.to_owned());
            hostile.display_name = attack.replace('\n', " ");
            hostile.parameters.insert("image".into(), attack.to_owned());
            hostile.parameters.insert("ingress_class".into(), attack.to_owned());
            hostile.parameters.insert("ingress_namespace".into(), attack.to_owned());
            let manifests = blueprint_with_params.render("alder-books", &hostile).expect(attack);
            assert_eq!(identities(&manifests), identities(&benign), "{attack}");
            assert_eq!(find(&manifests, "ConfigMap")["data"]["SITE_NAME"], attack, "the value is kept as it was typed");
            let image = &find(&manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"];
            assert_eq!(image.as_str(), Some(format!("{attack}:6.5.1").as_str()));
            assert_eq!(find(&manifests, "Ingress")["spec"]["ingressClassName"], attack);
        }
    }

    #[test]
    fn printed_values_keep_their_type() {
        let source = "name: t\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  replicas: {{ tenant.replicas }}\n  yes: {{ tenant.config.FLAG }}\n  list: {{ tenant.domains }}\n  joined: \"{{ tenant.domains | join(',') }}!\"\n";
        let blueprint = Blueprint::parse(Origin::File("t.yaml".into()), source).expect("parses");
        let mut typed = spec();
        typed.config.insert("FLAG".into(), "true".into());
        let map = &blueprint.render("a", &typed).expect("renders")[0].object["data"];
        assert_eq!(map["replicas"], 2);
        assert_eq!(map["yes"], "true", "a string stays a string");
        assert_eq!(map["list"], serde_json::json!(["alder-books.example.com", "www.alder-books.example.com"]));
        assert_eq!(map["joined"], "alder-books.example.com,www.alder-books.example.com!");
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
            ("name: t\n---\nkind: ConfigMap\nmetadata: {name: c}\n", "line 3: the object has no apiVersion"),
            ("name: t\n---\napiVersion: v1\nkind: ConfigMap\n", "line 3: the object has no metadata.name"),
            (
                "name: t\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
                "line 3: the object is a Namespace",
            ),
            (
                "name: t\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: other}\n",
                "line 3: the object names namespace \"other\"",
            ),
            (
                "name: t\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {{ tenant.nope }}\n",
                "line 6: ",
            ),
            (
                "name: t\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: r}\n",
                "line 7: the object is a RoleBinding (rbac.authorization.k8s.io), which grants access; a blueprint writes one only with `allow_kinds: [RoleBinding]`",
            ),
            (
                "name: t\nallow_kinds: [ClusterRoleBinding]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: r}\n",
                "line 4: the object is a ClusterRoleBinding, which is cluster-scoped",
            ),
            (
                "name: t\n---\n{% if true %}\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: w}\n{% endif %}\n",
                "line 5: the object is a MutatingWebhookConfiguration, which is cluster-scoped",
            ),
            (
                "name: t\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: {{ tenant.customer | safe }}}\n",
                "line 6: invalid operation: only JSON (from tojson) may be marked safe",
            ),
        ];
        for (source, expected) in cases {
            let blueprint = Blueprint::parse(Origin::File("t.yaml".into()), source).expect("parses");
            let error = blueprint.render("a", &spec()).expect_err(expected).to_string();
            assert!(error.starts_with(&format!("t.yaml, {expected}")), "{expected}: {error}");
        }
    }
}
