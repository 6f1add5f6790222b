//! The table of clusters: one row per kubeconfig context, with whether the fleet watches it,
//! how it authenticates and how that credential stands, and its reachability.

use tenantry_model::{ClusterRow, Credential, CredentialState, Probe};
use yew::prelude::*;

use super::probe_badge::{ProbeBadge, state_name};

/// What a row asks of the page.
#[derive(Debug, Clone, PartialEq)]
pub enum RowCommand {
    /// Watch this context (true) or stop watching it (false).
    Watch(String, bool),
    /// Probe this context now.
    Check(String),
    /// Sign in through this context's credential plugin.
    SignIn(String),
    /// Ask whether to remove this added cluster.
    Ask(String),
    /// Remove it (and its token from the keyring).
    Remove(String),
    /// Keep it after all.
    Keep,
}

/// Properties of [`ClusterTable`].
#[derive(Properties, PartialEq)]
pub struct ClusterTableProps {
    /// The rows, in order.
    pub rows: Vec<ClusterRow>,
    /// The added cluster whose removal waits for confirmation, if any.
    pub confirming: Option<String>,
    /// Receives the rows' commands.
    pub on_command: Callback<RowCommand>,
    /// The moment the credentials' expiry is told against (ms since the epoch).
    pub now_ms: f64,
}

/// Watch toggle, context, server, credential, state, version, latency and identity of every
/// cluster; a failed row carries its one-sentence reason and the detail.
#[function_component(ClusterTable)]
pub fn cluster_table(props: &ClusterTableProps) -> Html {
    html! {
        <div class="table-scroll">
            <table class="clusters">
                <thead>
                    <tr>
                        <th class="watch-col">{ "Watch" }</th><th>{ "Context" }</th><th>{ "Server" }</th><th>{ "Credential" }</th>
                        <th>{ "State" }</th><th>{ "Kubernetes" }</th><th>{ "Identity" }</th><th></th>
                    </tr>
                </thead>
                <tbody>{ for props.rows.iter().map(|r| row(r, props.confirming.as_deref() == Some(r.context.as_str()), &props.on_command, props.now_ms)) }</tbody>
            </table>
        </div>
    }
}

fn row(row: &ClusterRow, confirming: bool, on_command: &Callback<RowCommand>, now_ms: f64) -> Html {
    let dash = || html! { <span class="muted">{ "—" }</span> };
    let (version, identity) = match &row.probe {
        Probe::Reachable { version, identity, latency_ms } => (
            html! { <><span class="version">{ version }</span><div class="sub">{ format!("{latency_ms} ms") }</div></> },
            identity
                .as_ref()
                .map_or_else(dash, |who| html! { <span class="identity" title={who.clone()}>{ who }</span> }),
        ),
        _ => (dash(), dash()),
    };
    let problem = match &row.probe {
        Probe::Failed { error } => html! {
            <tr class="problem-row">
                <td colspan="8">
                    <span class="problem">{ &error.message }</span>
                    if !error.detail.is_empty() {
                        <details><summary>{ "Details" }</summary><pre>{ &error.detail }</pre></details>
                    }
                </td>
            </tr>
        },
        _ => Html::default(),
    };
    let state = state_name(&row.probe);
    let watched = row.chosen && row.watched_through.is_none();
    let toggle = {
        let (context, on_command) = (row.context.clone(), on_command.clone());
        Callback::from(move |_: Event| on_command.emit(RowCommand::Watch(context.clone(), !watched)))
    };
    let check = {
        let context = row.context.clone();
        on_command.reform(move |_: MouseEvent| RowCommand::Check(context.clone()))
    };
    html! {
        <>
            <tr class={classes!("cluster-row", format!("row-{state}"), (!watched).then_some("row-unwatched"))} data-context={row.context.clone()} data-state={state} data-watched={watched.to_string()}>
                <td class="watch-col">
                    <label class="switch" title={if watched { "Watched: its tenants are in the fleet. Click to stop." } else { "Not watched: click to watch its tenants." }}>
                        <input type="checkbox" class="watch-toggle" checked={watched} onchange={toggle} aria-label={format!("Watch {}", row.context)} />
                        <span class="slider"></span>
                    </label>
                </td>
                <td class="context">
                    <span class="name">{ &row.context }</span>
                    if row.current { <span class="tag">{ "current" }</span> }
                    if row.added { <span class="tag" title="Added in Tenantry; its token is in the OS keyring">{ "added" }</span> }
                    { for row.groups.iter().map(|group| html! { <span class="tag tag-group" title="A group of clusters you named">{ group }</span> }) }
                    <div class="sub">{ format!("cluster {} · user {}", row.cluster, if row.user.is_empty() { "—" } else { &row.user }) }</div>
                    if let Some(through) = &row.watched_through {
                        <div class="sub through" title={format!("The fleet watches this API server through {through}; turn this one on to watch through it instead.")}>{ format!("server watched through {through}") }</div>
                    }
                </td>
                <td class="server">{ row.server.clone().map_or_else(dash, |s| html! { <code title={s.clone()}>{ s }</code> }) }</td>
                <td class="credential">{ credential_cell(&row.credential, now_ms) }</td>
                <td><ProbeBadge probe={row.probe.clone()} /></td>
                <td>{ version }</td>
                <td>{ identity }</td>
                <td class="row-actions">
                    if row.credential.can_sign_in {
                        <button class={classes!(if needs_person(&row.credential) { "primary" } else { "secondary" }, "small", "sign-in")}
                            onclick={let context = row.context.clone(); on_command.reform(move |_: MouseEvent| RowCommand::SignIn(context.clone()))}>{ "Sign in…" }</button>
                    }
                    if !matches!(row.probe, Probe::Probing) {
                        <button class="secondary small check" onclick={check}>{ "Check" }</button>
                    }
                    { remove_control(row, confirming, on_command) }
                </td>
            </tr>
            { problem }
        </>
    }
}

/// Whether the credential waits for a person.
fn needs_person(credential: &Credential) -> bool {
    matches!(credential.state, CredentialState::NeedsSignIn | CredentialState::Failed { .. } | CredentialState::Expired)
}

/// The method, and how the credential stands: until when, expired, or what it needs.
fn credential_cell(credential: &Credential, now_ms: f64) -> Html {
    let expiry = credential.expires.as_deref().map(|stamp| expiry_words(stamp, now_ms));
    let (class, standing) = match &credential.state {
        CredentialState::Written | CredentialState::Issued => ("cred-ok", expiry.unwrap_or_default()),
        CredentialState::NotIssued => ("cred-wait", "issued when first used".to_owned()),
        CredentialState::Expired => ("cred-bad", expiry.unwrap_or_else(|| "expired".to_owned())),
        CredentialState::NeedsSignIn => ("cred-bad", "sign in needed".to_owned()),
        CredentialState::Failed { error } => ("cred-bad", error.message.clone()),
    };
    let title = match &credential.state {
        CredentialState::Failed { error } => error.detail.clone(),
        _ => credential.expires.clone().unwrap_or_default(),
    };
    html! {
        <>
            <span class="method">{ &credential.method }</span>
            if !standing.is_empty() {
                <div class={classes!("sub", class)} title={title}>{ standing }</div>
            }
        </>
    }
}

/// "expires in 42 min", "expired 3 h ago", from an RFC 3339 stamp.
fn expiry_words(stamp: &str, now_ms: f64) -> String {
    let at = js_sys::Date::parse(stamp);
    if at.is_nan() {
        return format!("expires {stamp}");
    }
    let seconds = ((at - now_ms) / 1000.0).round();
    let span = |seconds: f64| {
        let seconds = seconds.abs();
        match seconds {
            s if s < 90.0 => format!("{s:.0} s"),
            s if s < 5400.0 => format!("{:.0} min", s / 60.0),
            s if s < 172_800.0 => format!("{:.0} h", s / 3600.0),
            s => format!("{:.0} days", s / 86_400.0),
        }
    };
    if seconds >= 0.0 { format!("expires in {}", span(seconds)) } else { format!("expired {} ago", span(seconds)) }
}

/// Remove (added clusters only): first a question, then the removal.
fn remove_control(row: &ClusterRow, confirming: bool, on_command: &Callback<RowCommand>) -> Html {
    if !row.added {
        return Html::default();
    }
    let name = row.context.clone();
    if confirming {
        let remove = on_command.reform(move |_: MouseEvent| RowCommand::Remove(name.clone()));
        html! {
            <span class="confirm-remove">
                { "Remove it and its token?" }
                <button class="primary danger small" onclick={remove}>{ "Remove" }</button>
                <button class="secondary small" onclick={on_command.reform(|_: MouseEvent| RowCommand::Keep)}>{ "Keep" }</button>
            </span>
        }
    } else {
        html! { <button class="secondary small remove" onclick={on_command.reform(move |_: MouseEvent| RowCommand::Ask(name.clone()))}>{ "Remove…" }</button> }
    }
}
