//! The coloured state of one cluster.

use tenantry_model::{ErrorKind, Probe};
use yew::prelude::*;

/// Properties of [`ProbeBadge`].
#[derive(Properties, PartialEq)]
pub struct ProbeBadgeProps {
    /// The probe to show.
    pub probe: Probe,
}

/// Machine-readable state name (also the CSS modifier and `data-state`).
pub fn state_name(probe: &Probe) -> &'static str {
    match probe {
        Probe::Probing => "probing",
        Probe::Unchecked => "unchecked",
        Probe::Reachable { .. } => "reachable",
        Probe::Failed { error } => match error.kind {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Tls => "tls",
            ErrorKind::BadKubeconfig => "misconfigured",
            ErrorKind::Api
            | ErrorKind::Cache
            | ErrorKind::Internal
            | ErrorKind::Invalid
            | ErrorKind::Conflict
            | ErrorKind::Stale
            | ErrorKind::NotConverged => "error",
        },
    }
}

fn label(state: &str) -> &'static str {
    match state {
        "probing" => "Checking…",
        "unchecked" => "Not checked",
        "reachable" => "Reachable",
        "unreachable" => "Unreachable",
        "unauthorized" => "Credentials rejected",
        "forbidden" => "Forbidden",
        "tls" => "Certificate problem",
        "misconfigured" => "Kubeconfig problem",
        _ => "Error",
    }
}

/// A pill with a dot and the state's name.
#[function_component(ProbeBadge)]
pub fn probe_badge(props: &ProbeBadgeProps) -> Html {
    let state = state_name(&props.probe);
    html! { <span class={classes!("badge", format!("badge-{state}"))}><span class="dot"></span>{ label(state) }</span> }
}
