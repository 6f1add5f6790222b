//! Blueprints turn a tenant's spec into the Kubernetes objects of its namespace. The built-in
//! `web` blueprint and every `*.yaml` file in the config folder's `blueprints/` share one
//! format: a header document (name, description, typed parameters, the restore Job) and then
//! the objects as minijinja templates. A broken file is reported with its path and line and left
//! out; the others stay usable.

mod data;
mod params;
mod plan;
mod render;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::Digest as _;

pub use params::{Parameter, ParameterError, ParameterKind};
pub use plan::{PLANS, Plan, plan, plan_names};
pub use render::Manifest;

/// The built-in blueprint's source.
const BUILTIN_WEB: &str = include_str!("../../blueprints/web.yaml");

/// Where a blueprint comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into Tenantry.
    Builtin,
    /// A file in the blueprint folder.
    File(PathBuf),
    /// No blueprint: the sizes a tenant adopted without one records in its spec.
    Recorded,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin => f.write_str("the built-in blueprint"),
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Recorded => f.write_str("the tenant's recorded spec"),
        }
    }
}

/// Why a blueprint cannot be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum BlueprintError {
    /// The blueprint file cannot be read; check its permissions.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The header (the first YAML document) is not valid; fix the file at that line.
    #[error("{origin}, line {line}: the header is not valid: {message}")]
    Header {
        /// The file.
        origin: Origin,
        /// Line in the file.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file has a header but no objects after a `---` line.
    #[error("{origin}: no objects after the header (separate them with a line `---`)")]
    NoObjects {
        /// The file.
        origin: Origin,
    },
    /// A template has a syntax error or fails to render; fix the file at that line.
    #[error("{origin}, line {line}: {message}")]
    Template {
        /// The file.
        origin: Origin,
        /// Line in the file.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A rendered object is not a valid namespaced Kubernetes object, or of a kind the
    /// blueprint may not write.
    #[error("{origin}, line {line}: the object {message}")]
    Object {
        /// The file.
        origin: Origin,
        /// The file line its document starts on.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A parameter value is missing or invalid.
    #[error(transparent)]
    Parameter(#[from] ParameterError),
    /// The spec names a plan Tenantry does not know.
    #[error("there is no plan {plan:?} (plans: {})", plan_names().join(", "))]
    UnknownPlan {
        /// The plan named.
        plan: String,
    },
    /// The spec names a blueprint that is not installed (or whose file is broken).
    #[error("there is no usable blueprint {name:?} (blueprints: {known})")]
    Unknown {
        /// The blueprint named.
        name: String,
        /// The usable ones.
        known: String,
    },
    /// Two files declare the same blueprint name; the second is left out.
    #[error("{second} declares blueprint {name:?} again (already in {first}); left out")]
    Duplicate {
        /// The name.
        name: String,
        /// Where it was declared first.
        first: Origin,
        /// The file left out.
        second: Origin,
    },
    /// The blueprint has no restore Job, so backups cannot be restored with it.
    #[error("blueprint {0} declares no restore Job")]
    NoRestore(String),
}

/// The header of a blueprint file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    parameters: BTreeMap<String, Parameter>,
    restore: Option<String>,
    #[serde(default)]
    allow_kinds: Vec<String>,
}

/// One loaded blueprint.
#[derive(Debug, Clone)]
pub struct Blueprint {
    /// Its name, as tenant specs refer to it.
    pub name: String,
    /// What it renders, for people.
    pub description: String,
    /// Where it comes from.
    pub origin: Origin,
    /// Its parameters by name.
    pub parameters: BTreeMap<String, Parameter>,
    /// The objects' template.
    body: String,
    /// The file line the body starts on.
    body_line: usize,
    /// The restore Job's template and the file line it starts on.
    restore: Option<(String, usize)>,
    /// SHA-256 of the blueprint's source, hex.
    fingerprint: String,
    /// Kinds of guarded groups (RBAC, admission) the blueprint opts into writing.
    allowed_kinds: Vec<String>,
}

impl Blueprint {
    /// Parses a blueprint's source; templates are checked for syntax here, not at first use.
    pub fn parse(origin: Origin, source: &str) -> Result<Self, BlueprintError> {
        let lines: Vec<&str> = source.lines().collect();
        let separator = lines.iter().position(|line| line.trim_end() == "---");
        let header_text = lines[..separator.unwrap_or(lines.len())].join("\n");
        let header: Header = serde_yaml::from_str(&header_text).map_err(|e| BlueprintError::Header {
            origin: origin.clone(),
            line: e.location().map_or(1, |l| l.line()),
            message: strip_location(&e.to_string()),
        })?;
        let Some(separator) = separator else {
            return Err(BlueprintError::NoObjects { origin });
        };
        let body = lines[separator + 1..].join("\n");
        let restore = header.restore.map(|template| {
            let line = lines.iter().position(|line| line.starts_with("restore:")).map_or(1, |i| i + 2);
            (template, line)
        });
        let fingerprint = sha2::Sha256::digest(source.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let blueprint = Self {
            fingerprint,
            name: header.name,
            description: header.description,
            origin,
            parameters: header.parameters,
            body,
            body_line: separator + 2,
            restore,
            allowed_kinds: header.allow_kinds,
        };
        render::check_syntax(&blueprint)?;
        Ok(blueprint)
    }
}

impl Blueprint {
    /// SHA-256 of the blueprint's source: objects rendered by the same fingerprint from the same
    /// spec are the same.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// Every usable blueprint, and what was wrong with the files left out.
#[derive(Debug)]
pub struct Catalog {
    blueprints: Vec<Blueprint>,
    /// Files that could not be loaded, with why.
    pub problems: Vec<BlueprintError>,
}

impl Catalog {
    /// The built-in blueprint plus every `*.yaml` in `folder` (a file named like the built-in
    /// one replaces it); a missing folder is the same as an empty one.
    pub fn load(folder: &Path) -> Self {
        let mut catalog = Self { blueprints: Vec::new(), problems: Vec::new() };
        let builtin = Blueprint::parse(Origin::Builtin, BUILTIN_WEB);
        let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|path| path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"));
        files.sort();
        for path in files {
            let loaded = std::fs::read_to_string(&path)
                .map_err(|source| BlueprintError::Read { path: path.clone(), source })
                .and_then(|source| Blueprint::parse(Origin::File(path.clone()), &source));
            match loaded {
                Ok(blueprint) => catalog.add(blueprint),
                Err(problem) => catalog.problems.push(problem),
            }
        }
        match builtin {
            Ok(builtin) if catalog.get(&builtin.name).is_err() => catalog.blueprints.push(builtin),
            Ok(_) => {}
            Err(problem) => catalog.problems.push(problem),
        }
        catalog.blueprints.sort_by(|a, b| a.name.cmp(&b.name));
        catalog
    }

    /// The blueprint named `name`.
    pub fn get(&self, name: &str) -> Result<&Blueprint, BlueprintError> {
        self.blueprints.iter().find(|b| b.name == name).ok_or_else(|| BlueprintError::Unknown {
            name: name.to_owned(),
            known: self.blueprints.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", "),
        })
    }

    /// Every usable blueprint, by name.
    pub fn blueprints(&self) -> &[Blueprint] {
        &self.blueprints
    }

    fn add(&mut self, blueprint: Blueprint) {
        match self.blueprints.iter().find(|b| b.name == blueprint.name) {
            Some(first) => self.problems.push(BlueprintError::Duplicate {
                name: blueprint.name.clone(),
                first: first.origin.clone(),
                second: blueprint.origin,
            }),
            None => self.blueprints.push(blueprint),
        }
    }
}

/// serde_yaml's message without its trailing " at line L column C" (the error says the line).
fn strip_location(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_blueprint_loads_with_its_parameters() {
        let folder = tempfile::tempdir().expect("temp dir");
        let catalog = Catalog::load(folder.path());
        assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
        let web = catalog.get("web").expect("web");
        assert_eq!(web.origin, Origin::Builtin);
        assert!(web.parameters.contains_key("image") && web.parameters.contains_key("port"));
        assert!(web.restore.is_some());
    }

    #[test]
    fn broken_files_are_reported_with_file_and_line_and_left_out() {
        let folder = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, text: &str| std::fs::write(folder.path().join(name), text).expect("write");
        write("good.yaml", "name: moodle\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
        write("bad-header.yaml", "name: shop\nparameters: [oops\n---\n");
        write("bad-template.yaml", "name: lms\n---\napiVersion: v1\nkind: ConfigMap\n{% if %}\n");
        write("no-objects.yaml", "name: empty\n");
        write("zz-again.yaml", "name: moodle\n---\n");
        write("notes.txt", "not a blueprint");
        let catalog = Catalog::load(folder.path());
        let names: Vec<&str> = catalog.blueprints().iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["moodle", "web"]);
        let problems: Vec<String> = catalog.problems.iter().map(ToString::to_string).collect();
        let path = |name: &str| folder.path().join(name).display().to_string();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].starts_with(&format!("{}, line 2: the header is not valid", path("bad-header.yaml"))));
        assert!(problems[1].starts_with(&format!("{}, line 5: ", path("bad-template.yaml"))), "{}", problems[1]);
        let no_objects =
            format!("{}: no objects after the header (separate them with a line `---`)", path("no-objects.yaml"));
        assert_eq!(problems[2], no_objects);
        assert!(problems[3].starts_with(&format!("{} declares blueprint \"moodle\" again", path("zz-again.yaml"))));
        let unknown = catalog.get("shop").expect_err("left out").to_string();
        assert_eq!(unknown, "there is no usable blueprint \"shop\" (blueprints: moodle, web)");
    }
}
