//! The Tauri commands of the tenancy settings page: the file as it is, what a draft makes of
//! each watched cluster's namespaces, and saving it (the fleet and the actions use it at once).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tauri::State;
use tenantry_core::actions::Actions;
use tenantry_core::fleet::Fleet;
use tenantry_core::paths;
use tenantry_core::tenancy::TenancyRules;
use tenantry_model::{TenancyFile, TenancyMatch, UiError};

/// How long one cluster may take to list its namespaces for a check.
const LISTING_TIMEOUT: Duration = Duration::from_secs(5);

/// The text a page shows when there is no tenancy file: what is in force without one.
const STARTING_POINT: &str = "# Which namespaces are tenants. Without this file, Tenantry's own label makes a tenant.\n\
# A rule selects by `labels` (a selector), `name` (a pattern), `capsule: true`, or together;\n\
# `clusters` limits it, `alias` gives a shorter name, `fields` reads the display name,\n\
# customer and plan from `label:KEY` or `annotation:KEY`. System namespaces never are.\n\
rules:\n  - labels: tenantry.io/tenant\nnever: []\n";

/// The tenancy file now: its text and whether the rules in force come from it.
#[tauri::command]
pub fn read_tenancy() -> TenancyFile {
    let path = paths::tenancy_file();
    let read = std::fs::read_to_string(&path);
    let problem = TenancyRules::load(&path).err().map(|e| e.to_ui().message);
    TenancyFile {
        path: path.display().to_string(),
        exists: read.is_ok(),
        text: read.unwrap_or_else(|_| STARTING_POINT.to_owned()),
        problem,
    }
}

/// What the rules written in `text` would make of each watched cluster's namespaces; a draft
/// that does not parse is an error naming its line.
#[tauri::command]
pub async fn check_tenancy(fleet: State<'_, Fleet>, text: String) -> Result<Vec<TenancyMatch>, UiError> {
    let rules = parse(&text)?;
    Ok(fleet.tenancy_matches(&rules, LISTING_TIMEOUT).await)
}

/// Saves `text` as the tenancy file once it parses; the fleet watches under the new rules and
/// the actions follow them from now on. Returns what the rules make of each cluster.
#[tauri::command]
pub async fn save_tenancy(
    fleet: State<'_, Fleet>,
    actions: State<'_, Actions>,
    text: String,
) -> Result<Vec<TenancyMatch>, UiError> {
    let rules =
        TenancyRules::save(&paths::tenancy_file(), &paths::tenancy_last_good(), &text).map_err(|e| e.to_ui())?;
    tracing::info!(file = %paths::tenancy_file().display(), "tenancy rules saved and in force");
    let rules = Arc::new(rules);
    fleet.set_tenancy(Arc::clone(&rules));
    actions.set_tenancy(Arc::clone(&rules));
    Ok(fleet.tenancy_matches(&rules, LISTING_TIMEOUT).await)
}

fn parse(text: &str) -> Result<TenancyRules, UiError> {
    let path = paths::tenancy_file();
    let named = path.file_name().map_or_else(|| path.clone(), |name| Path::new(name).to_owned());
    TenancyRules::parse(&named, text).map_err(|e| e.to_ui())
}
