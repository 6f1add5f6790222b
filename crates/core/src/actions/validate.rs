//! Checks of everything a user types before an action touches a cluster: tenant ids, domains,
//! sizes, versions, schedules and config keys. Pure functions, each refusal one clear sentence.

use std::collections::BTreeSet;

use tenantry_model::TenantSpec;

use crate::blueprint;

/// Most backups a tenant may keep.
const MOST_BACKUPS_KEPT: u32 = 90;
/// Characters of a display name or customer.
const MOST_NAME_CHARS: usize = 200;
/// Config keys (and blueprint parameters) a spec may hold.
const MOST_KEYS: usize = 200;
/// Bytes of one config or parameter value.
const MOST_VALUE_BYTES: usize = 16 * 1024;
/// Bytes of a whole spec as JSON: it lives in an annotation and in every history entry.
const MOST_SPEC_BYTES: usize = 32 * 1024;
/// Characters of the reason given for an action.
const MOST_REASON_CHARS: usize = 500;
/// Namespaces a tenant may never take.
const RESERVED_IDS: [&str; 4] = ["default", "tenantry-system", "ingress-nginx", "cert-manager"];

/// Why an input is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidInput {
    /// The tenant id is not a DNS-1123 label or is reserved.
    #[error("tenant id {id:?} {problem}")]
    TenantId {
        /// The id typed.
        id: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A domain is not a valid host name.
    #[error("domain {domain:?} {problem}")]
    Domain {
        /// The domain typed.
        domain: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// Another field is out of bounds or empty.
    #[error("{field} {problem}")]
    Field {
        /// The field, as the form labels it.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The typed confirmation does not match the tenant id.
    #[error("type the tenant id {id:?} to confirm (got {typed:?})")]
    Confirmation {
        /// The tenant id.
        id: String,
        /// What was typed.
        typed: String,
    },
}

/// Checks a tenant id: a DNS-1123 label (lower-case letters, digits and `-`, at most 63
/// characters, starting and ending with a letter or digit), not `kube-*` or reserved.
pub fn tenant_id(id: &str) -> Result<(), InvalidInput> {
    let refuse = |problem| Err(InvalidInput::TenantId { id: id.to_owned(), problem });
    if id.is_empty() {
        return refuse("is empty");
    }
    if id.len() > 63 {
        return refuse("is longer than 63 characters");
    }
    if !is_dns_label(id) {
        return refuse(
            "may only hold lower-case letters, digits and '-', and must start and end with a letter or digit",
        );
    }
    if id.starts_with("kube-") || RESERVED_IDS.contains(&id) {
        return refuse("is reserved for the cluster itself");
    }
    Ok(())
}

/// Checks a domain: a lower-case host name of at least two labels (a leading `*.` allowed),
/// each label at most 63 characters, the whole at most 253.
pub fn domain(domain: &str) -> Result<(), InvalidInput> {
    let refuse = |problem| Err(InvalidInput::Domain { domain: domain.to_owned(), problem });
    let host = domain.strip_prefix("*.").unwrap_or(domain);
    if host.is_empty() {
        return refuse("is empty");
    }
    if domain.len() > 253 {
        return refuse("is longer than 253 characters");
    }
    if domain.chars().any(|c| c.is_ascii_uppercase()) {
        return refuse("must be lower case");
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return refuse("needs at least two parts, like shop.example.com");
    }
    if labels.iter().any(|label| label.len() > 63 || !is_dns_label(label)) {
        return refuse("is not a valid host name (letters, digits and '-' between dots)");
    }
    Ok(())
}

/// Checks a whole spec for `create` or after an update.
pub fn spec(spec: &TenantSpec) -> Result<(), InvalidInput> {
    let field = |field, problem: &str| Err(InvalidInput::Field { field, problem: problem.to_owned() });
    for (name, text) in [("display name", &spec.display_name), ("customer", &spec.customer)] {
        if text.trim().is_empty() {
            return field(name, "is empty");
        }
        names(name, text)?;
    }
    if spec.domains.is_empty() {
        return field("domains", "are empty; a tenant needs at least one");
    }
    for name in &spec.domains {
        domain(name)?;
    }
    if spec.domains.iter().collect::<BTreeSet<_>>().len() != spec.domains.len() {
        return field("domains", "name the same domain twice");
    }
    version(&spec.version)?;
    let Some(plan) = blueprint::plan(&spec.plan) else {
        let known = blueprint::plan_names().join(", ");
        return Err(InvalidInput::Field { field: "plan", problem: format!("{:?} is not a plan ({known})", spec.plan) });
    };
    replicas(spec.replicas, plan.max_replicas, &spec.plan)?;
    if let Some(bounds) = spec.autoscaling {
        if bounds.min < 1 {
            return field("autoscaling minimum", "must be at least 1");
        }
        if bounds.max < bounds.min {
            return field("autoscaling maximum", "must not be below the minimum");
        }
        replicas(bounds.max, plan.max_replicas, &spec.plan)?;
    }
    if let Some(backup) = &spec.backup {
        if backup.schedule.split_whitespace().count() != 5 {
            return field("backup schedule", "must have five fields, like `0 3 * * *`");
        }
        if !(1..=MOST_BACKUPS_KEPT).contains(&backup.retention) {
            return Err(InvalidInput::Field {
                field: "backup retention",
                problem: format!("must be between 1 and {MOST_BACKUPS_KEPT} backups"),
            });
        }
    }
    if let Some(key) = spec.config.keys().find(|key| !is_config_key(key)) {
        return Err(InvalidInput::Field {
            field: "config",
            problem: format!("key {key:?} may only hold letters, digits, '-', '_' and '.'"),
        });
    }
    for (name, values) in [("config", &spec.config), ("blueprint parameters", &spec.parameters)] {
        if values.len() > MOST_KEYS {
            return field(name, &format!("hold {} keys; at most {MOST_KEYS}", values.len()));
        }
        if let Some((key, _)) = values.iter().find(|(_, value)| value.len() > MOST_VALUE_BYTES) {
            return field(name, &format!("value of {key:?} is longer than {MOST_VALUE_BYTES} bytes"));
        }
    }
    let bytes = serde_json::to_string(spec).map_or(usize::MAX, |json| json.len());
    if bytes > MOST_SPEC_BYTES {
        return field("spec", &format!("is {bytes} bytes as stored; at most {MOST_SPEC_BYTES}"));
    }
    Ok(())
}

/// Checks the reason given for an action (a ticket number, a sentence): one line, bounded.
pub fn reason(reason: &str) -> Result<(), InvalidInput> {
    let field = |problem: String| Err(InvalidInput::Field { field: "reason", problem });
    if reason.chars().count() > MOST_REASON_CHARS {
        return field(format!("is longer than {MOST_REASON_CHARS} characters"));
    }
    if reason.chars().any(char::is_control) {
        return field("holds a line break or another control character".into());
    }
    Ok(())
}

/// Checks an app version: an image tag (letters, digits, `_`, `.`, `-`; at most 128; not
/// starting with `.` or `-`).
pub fn version(version: &str) -> Result<(), InvalidInput> {
    let valid = !version.is_empty()
        && version.len() <= 128
        && !version.starts_with(['.', '-'])
        && version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(())
    } else {
        Err(InvalidInput::Field {
            field: "version",
            problem: format!("{version:?} is not an image tag (letters, digits, '_', '.', '-')"),
        })
    }
}

/// Checks a replica count against the plan's limit.
pub fn replicas(replicas: i32, most: i32, plan: &str) -> Result<(), InvalidInput> {
    if (0..=most).contains(&replicas) {
        Ok(())
    } else {
        Err(InvalidInput::Field {
            field: "replicas",
            problem: format!("must be between 0 and {most} on plan {plan}, not {replicas}"),
        })
    }
}

/// Checks the spec recorded for a tenant without a blueprint (an adopted one): names within
/// bounds (the customer may be unknown), valid domains and version where known, a known plan
/// where one is given, each workload's size in range, nothing a blueprint would read.
pub fn recorded(spec: &TenantSpec, most_pods: i32) -> Result<(), InvalidInput> {
    let field = |field, problem: String| Err(InvalidInput::Field { field, problem });
    if spec.display_name.trim().is_empty() {
        return field("display name", "is empty".into());
    }
    names("display name", &spec.display_name)?;
    names("customer", &spec.customer)?;
    for name in &spec.domains {
        domain(name)?;
    }
    if !spec.version.is_empty() {
        version(&spec.version)?;
    }
    if !spec.plan.is_empty() && blueprint::plan(&spec.plan).is_none() {
        return field("plan", format!("{:?} is not a plan ({})", spec.plan, blueprint::plan_names().join(", ")));
    }
    if let Some((key, size)) = spec.workloads.iter().find(|(_, size)| !(0..=most_pods).contains(*size)) {
        return field("workloads", format!("{key} asks for {size} pods; between 0 and {most_pods}"));
    }
    if !spec.config.is_empty() || !spec.parameters.is_empty() || spec.autoscaling.is_some() || spec.backup.is_some() {
        return field("spec", "config, parameters, autoscaling and backups need a blueprint to render them".into());
    }
    Ok(())
}

/// Checks a name shown to people: its length and no control characters.
fn names(name: &'static str, text: &str) -> Result<(), InvalidInput> {
    let field = |problem: String| Err(InvalidInput::Field { field: name, problem });
    if text.chars().count() > MOST_NAME_CHARS {
        return field(format!("is longer than {MOST_NAME_CHARS} characters"));
    }
    if text.chars().any(char::is_control) {
        return field("holds a line break or another control character".into());
    }
    Ok(())
}

/// Checks the typed confirmation of a destructive action.
pub fn confirmation(id: &str, typed: &str) -> Result<(), InvalidInput> {
    if typed == id { Ok(()) } else { Err(InvalidInput::Confirmation { id: id.to_owned(), typed: typed.to_owned() }) }
}

pub(crate) fn is_dns_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    let edge = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.first().is_some_and(edge)
        && bytes.last().is_some_and(edge)
        && bytes.iter().all(|b| edge(b) || *b == b'-')
}

fn is_config_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use tenantry_model::{Autoscaling, BackupPolicy};

    use super::*;

    #[test]
    fn tenant_ids() {
        let cases = [
            ("alder-books", None),
            ("a", None),
            ("shop2", None),
            ("", Some("is empty")),
            ("Alder", Some("may only hold")),
            ("alder_books", Some("may only hold")),
            ("-alder", Some("may only hold")),
            ("alder-", Some("may only hold")),
            ("kube-system", Some("is reserved")),
            ("default", Some("is reserved")),
        ];
        for (id, problem) in cases {
            let result = tenant_id(id).err().map(|e| e.to_string());
            match problem {
                None => assert_eq!(result, None, "{id}"),
                Some(problem) => assert!(result.as_deref().is_some_and(|r| r.contains(problem)), "{id}: {result:?}"),
            }
        }
        assert!(tenant_id(&"a".repeat(64)).is_err());
        assert!(tenant_id(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn domains() {
        let cases = [
            ("shop.example.com", None),
            ("*.shop.example.com", None),
            ("xn--bcher-kva.example", None),
            ("localhost", Some("at least two parts")),
            ("Shop.example.com", Some("lower case")),
            ("shop..example.com", Some("not a valid host name")),
            ("shop_1.example.com", Some("not a valid host name")),
            ("-shop.example.com", Some("not a valid host name")),
            ("", Some("is empty")),
        ];
        for (name, problem) in cases {
            let result = domain(name).err().map(|e| e.to_string());
            match problem {
                None => assert_eq!(result, None, "{name}"),
                Some(problem) => assert!(result.as_deref().is_some_and(|r| r.contains(problem)), "{name}: {result:?}"),
            }
        }
    }

    fn good() -> TenantSpec {
        TenantSpec {
            display_name: "Alder Books site".into(),
            customer: "Alder Books".into(),
            domains: vec!["alder.example.com".into()],
            blueprint: "web".into(),
            version: "6.5.1".into(),
            plan: "small".into(),
            replicas: 2,
            backup: Some(BackupPolicy { schedule: "0 3 * * *".into(), retention: 7 }),
            ..TenantSpec::default()
        }
    }

    #[test]
    fn specs() {
        assert_eq!(spec(&good()), Ok(()));
        let cases: Vec<(TenantSpec, &str)> = vec![
            (TenantSpec { display_name: " ".into(), ..good() }, "display name is empty"),
            (TenantSpec { domains: vec![], ..good() }, "domains are empty"),
            (TenantSpec { domains: vec!["a.example.com".into(); 2], ..good() }, "name the same domain twice"),
            (TenantSpec { version: "6.5 beta".into(), ..good() }, "version \"6.5 beta\" is not an image tag"),
            (TenantSpec { plan: "huge".into(), ..good() }, "plan \"huge\" is not a plan (small, medium, large)"),
            (TenantSpec { replicas: 5, ..good() }, "replicas must be between 0 and 4 on plan small, not 5"),
            (TenantSpec { replicas: -1, ..good() }, "replicas must be between 0 and 4"),
            (TenantSpec { autoscaling: Some(Autoscaling { min: 0, max: 3 }), ..good() }, "autoscaling minimum"),
            (TenantSpec { autoscaling: Some(Autoscaling { min: 3, max: 2 }), ..good() }, "must not be below"),
            (TenantSpec { autoscaling: Some(Autoscaling { min: 1, max: 9 }), ..good() }, "not 9"),
            (
                TenantSpec { backup: Some(BackupPolicy { schedule: "nightly".into(), retention: 7 }), ..good() },
                "backup schedule must have five fields",
            ),
            (
                TenantSpec { backup: Some(BackupPolicy { schedule: "0 3 * * *".into(), retention: 0 }), ..good() },
                "backup retention must be between 1 and 90",
            ),
            (TenantSpec { config: [("A B".to_owned(), "x".to_owned())].into(), ..good() }, "key \"A B\""),
            (TenantSpec { customer: "Alder\nkind: RoleBinding".into(), ..good() }, "customer holds a line break"),
            (TenantSpec { display_name: "x".repeat(201), ..good() }, "longer than 200 characters"),
            (TenantSpec { config: [("BIG".to_owned(), "x".repeat(17_000))].into(), ..good() }, "\"BIG\" is longer"),
            (
                TenantSpec { config: (0..201).map(|i| (format!("K{i}"), String::new())).collect(), ..good() },
                "config hold 201 keys",
            ),
            (
                TenantSpec { config: (0..3).map(|i| (format!("K{i}"), "x".repeat(16_000))).collect(), ..good() },
                "spec is 48",
            ),
        ];
        for (bad, expected) in cases {
            let error = spec(&bad).expect_err(expected).to_string();
            assert!(error.contains(expected), "{expected}: {error}");
        }
    }

    #[test]
    fn reasons_are_one_bounded_line() {
        assert_eq!(reason("TICKET-42: customer asked \"why\" {{ 7*7 }}"), Ok(()));
        assert!(reason("TICKET-1\n7 ago  root").expect_err("newline").to_string().contains("line break"));
        assert!(reason("\u{1b}[2J").is_err());
        assert!(reason(&"x".repeat(501)).expect_err("long").to_string().contains("longer than 500"));
    }

    #[test]
    fn confirmations() {
        assert!(confirmation("alder-books", "alder-books").is_ok());
        assert_eq!(
            confirmation("alder-books", "alder").expect_err("refused").to_string(),
            "type the tenant id \"alder-books\" to confirm (got \"alder\")"
        );
    }
}
