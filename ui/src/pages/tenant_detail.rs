//! One tenant in detail: what the spec says, how it is doing and has been doing, its pods,
//! recent warning events and backups; refreshed whenever its row in the fleet changes.

use std::sync::Arc;

use tenantry_model::{BackupResult, Freshness, TenantDetail, TenantSummary, UiError};
use yew::prelude::*;

use crate::components::{
    ActionBar, ActionDialog, BundleButton, DriftPanel, HealthBadge, HealthChart, LogView, Notice, TenantNoticeSelect,
    TimelineView,
};
use crate::hooks::{age, ago, use_clock, use_escape};
use crate::ipc;
use crate::state::ActionsContext;

/// Properties of [`TenantDetailPage`].
#[derive(Properties, PartialEq)]
pub struct TenantDetailPageProps {
    /// The tenant's cluster (context).
    pub cluster: String,
    /// The tenant's id.
    pub id: String,
    /// Its row in the fleet now; every change re-reads the detail.
    pub row: Option<Arc<TenantSummary>>,
    /// Back to the fleet.
    pub on_back: Callback<()>,
}

/// The parts of the detail, one shown at a time.
#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Overview,
    Logs,
    Drift,
    Timeline,
}

#[derive(Clone, PartialEq)]
enum Loaded {
    Waiting,
    Shown(Box<TenantDetail>),
    Failed(UiError),
}

/// Reads the tenant when opened and whenever its fleet row changes; Back or Esc returns.
#[function_component(TenantDetailPage)]
pub fn tenant_detail_page(props: &TenantDetailPageProps) -> Html {
    let loaded = use_state(|| Loaded::Waiting);
    let now = use_clock();
    {
        let loaded = loaded.clone();
        use_effect_with((props.cluster.clone(), props.id.clone(), props.row.clone()), move |(cluster, id, _)| {
            let (cluster, id) = (cluster.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                loaded.set(match ipc::tenant_detail(&cluster, &id).await {
                    Ok(detail) => Loaded::Shown(Box::new(detail)),
                    Err(error) => Loaded::Failed(error),
                });
            });
        });
    }
    // Changes whenever the row does, so the timeline reads again.
    let generation = props.row.as_ref().map_or(0, |row| {
        format!("{row:?}")
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
    });
    let tab = use_state(|| Tab::Overview);
    // `None` while asked; then the permission reading logs lacks, if any.
    let log_access = use_state(|| None::<Result<Option<String>, UiError>>);
    {
        let log_access = log_access.clone();
        use_effect_with((props.cluster.clone(), props.id.clone()), move |(cluster, id)| {
            let (cluster, id) = (cluster.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(
                async move { log_access.set(Some(ipc::log_access(&cluster, &id).await)) },
            );
        });
    }
    let logs_refused: Option<String> = match &*log_access {
        Some(Ok(Some(missing))) => Some(format!("This identity may not read pod logs here: it lacks {missing}.")),
        Some(Err(error)) => Some(error.message.clone()),
        _ => None,
    };
    let drift_refused = props
        .row
        .as_ref()
        .filter(|row| row.blueprint.is_empty())
        .map(|_| "Drift is the difference from what a blueprint renders; this tenant has no blueprint.".to_owned());
    let dialog = use_state(|| None::<tenantry_model::ActionKind>);
    let actions = use_context::<ActionsContext>();
    // Esc closes the dialog when one is open, else goes back (the key listener outlives
    // renders, so it reads whether a dialog is open from a cell updated on every render).
    let dialog_open = use_mut_ref(|| false);
    *dialog_open.borrow_mut() = dialog.is_some();
    {
        let (dialog, on_back) = (dialog.clone(), props.on_back.clone());
        use_escape(Callback::from(move |()| {
            if *dialog_open.borrow() {
                dialog.set(None);
            } else {
                on_back.emit(());
            }
        }));
    }
    let back = props.on_back.reform(|_: MouseEvent| ());
    let on_action = {
        let dialog = dialog.clone();
        Callback::from(move |kind| dialog.set(Some(kind)))
    };
    let on_close = {
        let dialog = dialog.clone();
        Callback::from(move |()| dialog.set(None))
    };
    let on_ended = actions.map(|a| a.ended).unwrap_or_default();
    let backups: Vec<String> = match &*loaded {
        Loaded::Shown(detail) => {
            detail.backups.iter().filter(|b| b.result == BackupResult::Succeeded).map(|b| b.id.clone()).collect()
        }
        _ => Vec::new(),
    };
    let workloads: Vec<String> = match &*loaded {
        Loaded::Shown(detail) => detail.workloads.iter().map(|w| format!("{}/{}", w.kind, w.name)).collect(),
        _ => Vec::new(),
    };
    html! {
        <section class="detail">
            <div class="detail-head">
                <button class="back" onclick={back}>{ "← Tenants" }</button>
                <h2>{ &props.id }<span class="muted">{ format!(" on {}", props.cluster) }</span></h2>
                <TenantNoticeSelect cluster={props.cluster.clone()} id={props.id.clone()} />
                <BundleButton cluster={props.cluster.clone()} id={props.id.clone()} />
                if let Some(row) = &props.row { <ActionBar tenant={TenantSummary::clone(row)} {on_action} /> }
            </div>
            if let (Some(kind), Some(row)) = (*dialog, &props.row) {
                <ActionDialog tenant={TenantSummary::clone(row)} {kind} {on_close} on_ended={on_ended.clone()} backups={backups} workloads={workloads} />
            }
            <nav class="detail-tabs">
                { tab_button(&tab, Tab::Overview, "Overview", None) }
                { tab_button(&tab, Tab::Logs, "Logs", logs_refused.clone()) }
                { tab_button(&tab, Tab::Drift, "Drift", drift_refused.clone()) }
                { tab_button(&tab, Tab::Timeline, "Timeline", None) }
            </nav>
            if let Some(refused) = &logs_refused {
                <p class="tab-note">{ format!("Logs: {refused}") }</p>
            }
            {
                match (&*loaded, *tab) {
                    (Loaded::Waiting, _) => html! { <div class="empty" aria-busy="true"><p>{ "Reading the tenant…" }</p></div> },
                    (Loaded::Failed(error), _) => html! { <Notice error={error.clone()} /> },
                    (Loaded::Shown(detail), Tab::Overview) => shown(detail, now),
                    (Loaded::Shown(_), Tab::Timeline) => html! {
                        <TimelineView cluster={props.cluster.clone()} id={props.id.clone()} {generation} />
                    },
                    (Loaded::Shown(_), Tab::Drift) => html! {
                        <DriftPanel context={props.cluster.clone()} id={props.id.clone()} on_ended={on_ended.clone()} />
                    },
                    (Loaded::Shown(detail), Tab::Logs) => html! {
                        <LogView cluster={props.cluster.clone()} id={props.id.clone()}
                            workloads={detail.workloads.clone()} pods={detail.pods.clone()} />
                    },
                }
            }
        </section>
    }
}

/// The button of `this` tab; disabled with `refused` as its reason.
fn tab_button(tab: &UseStateHandle<Tab>, this: Tab, label: &str, refused: Option<String>) -> Html {
    let onclick = {
        let tab = tab.clone();
        Callback::from(move |_: MouseEvent| tab.set(this))
    };
    let disabled = refused.is_some();
    html! {
        <button class={classes!("tab", format!("tab-{}", label.to_lowercase()), (**tab == this).then_some("tab-active"))}
            {disabled} title={refused.unwrap_or_default()} {onclick}>{ label }</button>
    }
}

fn shown(detail: &TenantDetail, now: f64) -> Html {
    let t = &detail.tenant;
    let field =
        |label: &str, value: Html| html! { <div class="field"><dt>{ label.to_owned() }</dt><dd>{ value }</dd></div> };
    let when = |at: &Option<String>| at.as_deref().map_or_else(|| "—".to_owned(), |at| ago(at, now));
    let seen = match &t.freshness {
        Freshness::Live => "live".to_owned(),
        Freshness::Cached { as_of } => format!("cached, as of {}", ago(as_of, now)),
        Freshness::Stale { last_seen } => format!("stale, last seen {}", ago(last_seen, now)),
    };
    let scaling =
        detail.autoscaling.map_or_else(|| "fixed".to_owned(), |(min, max)| format!("autoscaling {min}–{max}"));
    html! {
        <>
            <div class="detail-card">
                <div class="detail-health"><HealthBadge health={t.health} /><span>{ &t.reason }</span>
                    <span class={classes!("seen", if t.freshness.is_live() { "seen-live" } else { "seen-stale" })}>{ seen }</span></div>
                if let Some(controller) = &t.gitops {
                    <p class="gitops-note">{ format!("Managed by {controller}: it reverts changes made here unless they are made at its source.") }</p>
                }
                <dl class="fields">
                    { field("Name", html! { &t.display_name }) }
                    { field("Customer", html! { &t.customer }) }
                    { field("Domains", html! { <code>{ t.domains.join(", ") }</code> }) }
                    { field("Ingress hosts", html! { <code>{ if detail.ingress_hosts.is_empty() { "none".to_owned() } else { detail.ingress_hosts.join(", ") } }</code> }) }
                    { field("Version", html! { &t.version }) }
                    { field("Plan", html! { format!("{} · {scaling}", t.plan) }) }
                    { field("Blueprint", html! { { if t.blueprint.is_empty() { "none" } else { t.blueprint.as_str() } } }) }
                    { field("Pods", html! { format!("{}/{} ready · {} restarts", t.ready, t.desired, t.restarts) }) }
                    { field("Backups", html! { detail.backup_schedule.clone().map_or_else(|| "no schedule".into(), |s| format!("schedule {s}")) }) }
                    { field("Revision", html! {
                        { if t.revision == 0 { "none: not a Tenantry tenant (adopt it to keep revisions)".to_owned() } else { format!("{} · changed {}", t.revision, when(&t.last_change)) } }
                    }) }
                    { field("Created", html! { when(&t.created) }) }
                </dl>
            </div>
            <h3 class="section-title">{ "Health, last 24 hours" }</h3>
            <HealthChart history={detail.history.clone()} {now} />
            <h3 class="section-title">{ "Workloads" }</h3>
            if detail.workloads.is_empty() {
                <p class="muted">{ if t.freshness.is_live() { "No Deployment or StatefulSet in the namespace." } else { "Workloads are shown while the cluster is live." } }</p>
            } else {
                <table class="clusters workloads">
                    <thead><tr><th>{ "Workload" }</th><th>{ "Kind" }</th><th>{ "Ready" }</th><th>{ "Images" }</th><th>{ "Managed by" }</th></tr></thead>
                    <tbody>
                        { for detail.workloads.iter().map(|w| html! {
                            <tr class="workload-row" data-workload={w.name.clone()}>
                                <td><code>{ &w.name }</code>{ if w.main { html! { <span class="main-mark">{ "main" }</span> } } else { html! {} } }</td>
                                <td>{ &w.kind }</td>
                                <td class={classes!(if w.ready < w.desired { "short" } else { "" })}>{ format!("{}/{}", w.ready, w.desired) }</td>
                                <td><code>{ w.images.join(", ") }</code></td>
                                <td>{ &w.owner }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            if !detail.field_sources.is_empty() {
                <h3 class="section-title">{ "Where the fields come from" }</h3>
                <dl class="fields sources">
                    { for detail.field_sources.iter().map(|f| field(&f.field, html! { <span class="source">{ &f.source }</span> })) }
                </dl>
            }
            <h3 class="section-title">{ "Pods" }</h3>
            if detail.pods.is_empty() {
                <p class="muted">{ if t.freshness.is_live() { "No pods." } else { "Pods are shown while the cluster is live." } }</p>
            } else {
                <table class="clusters pods">
                    <thead><tr><th>{ "Pod" }</th><th>{ "Phase" }</th><th>{ "Ready" }</th><th class="num">{ "Restarts" }</th><th>{ "Node" }</th><th>{ "Age" }</th></tr></thead>
                    <tbody>
                        { for detail.pods.iter().map(|pod| html! {
                            <tr class="pod-row" data-pod={pod.name.clone()}>
                                <td><code>{ &pod.name }</code></td>
                                <td>{ &pod.phase }</td>
                                <td>{ if pod.ready { "yes" } else { "no" } }</td>
                                <td class="num">{ pod.restarts }</td>
                                <td>{ pod.node.clone().unwrap_or_else(|| "—".into()) }</td>
                                <td>{ pod.created.as_deref().map(|c| age(c, now)).unwrap_or_default() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            <h3 class="section-title">{ "Recent warnings" }</h3>
            if detail.events.is_empty() {
                <p class="muted">{ "No warning events." }</p>
            } else {
                <table class="clusters events">
                    <thead><tr><th>{ "When" }</th><th>{ "Reason" }</th><th>{ "Object" }</th><th>{ "Message" }</th></tr></thead>
                    <tbody>
                        { for detail.events.iter().map(|event| html! {
                            <tr class="event-row">
                                <td>{ when(&event.last_seen) }{ if event.count > 1 { format!(" ×{}", event.count) } else { String::new() } }</td>
                                <td>{ &event.reason }</td>
                                <td><code>{ &event.object }</code></td>
                                <td>{ &event.message }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            <h3 class="section-title">{ "Backups" }</h3>
            if detail.backups.is_empty() {
                <p class="muted">{ "No backups yet." }</p>
            } else {
                <table class="clusters backups">
                    <thead><tr><th>{ "Backup" }</th><th>{ "Result" }</th><th>{ "Started" }</th><th>{ "Finished" }</th></tr></thead>
                    <tbody>
                        { for detail.backups.iter().map(|backup| html! {
                            <tr class="backup-row" data-backup={backup.id.clone()}>
                                <td><code>{ &backup.id }</code></td>
                                <td>{ match backup.result { BackupResult::Succeeded => "succeeded", BackupResult::Failed => "failed", BackupResult::Running => "running" } }</td>
                                <td>{ when(&backup.started) }</td>
                                <td>{ when(&backup.finished) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </>
    }
}
