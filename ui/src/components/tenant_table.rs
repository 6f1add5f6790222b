//! The fleet table: sortable columns, and only the rows in view are rendered, so ten thousand
//! tenants scroll as smoothly as ten.

use std::rc::Rc;

use tenantry_model::{BackupResult, Freshness, Health, TenantSummary};
use web_sys::HtmlElement;
use yew::prelude::*;

use super::health_badge::HealthBadge;
use crate::hooks::{age, ago};

/// Height of one row in pixels (kept equal to `.tenants td` in styles.css).
const ROW_HEIGHT: f64 = 48.0;
/// Rows rendered above and below the visible ones, so fast scrolling shows no gaps.
const OVERSCAN: usize = 10;

/// The columns one can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Tenant id.
    Tenant,
    /// Customer name.
    Customer,
    /// First domain.
    Domain,
    /// Cluster context.
    Cluster,
    /// App version.
    Version,
    /// Health, worst last.
    Health,
    /// Ready pods.
    Ready,
    /// When the last backup started.
    Backup,
    /// When the row was last seen live (live rows first).
    Seen,
}

impl SortKey {
    /// Sorts `rows` by this column (ties broken by cluster and id).
    pub fn sort(self, rows: &mut [TenantSummary], ascending: bool) {
        rows.sort_by(|a, b| {
            let by_column = match self {
                Self::Tenant => a.id.cmp(&b.id),
                Self::Customer => a.customer.cmp(&b.customer),
                Self::Domain => a.domains.first().cmp(&b.domains.first()),
                Self::Cluster => a.cluster.cmp(&b.cluster),
                Self::Version => a.version.cmp(&b.version),
                Self::Health => a.health.cmp(&b.health),
                Self::Ready => (a.ready, a.desired).cmp(&(b.ready, b.desired)),
                Self::Backup => backup_started(a).cmp(&backup_started(b)),
                Self::Seen => (!a.freshness.is_live(), b.freshness.seen_at())
                    .cmp(&(!b.freshness.is_live(), a.freshness.seen_at())),
            };
            let ordered = if ascending { by_column } else { by_column.reverse() };
            ordered.then_with(|| (&a.cluster, &a.id).cmp(&(&b.cluster, &b.id)))
        });
    }
}

fn backup_started(tenant: &TenantSummary) -> Option<&str> {
    tenant.last_backup.as_ref().and_then(|b| b.started.as_deref())
}

const COLUMNS: [(SortKey, &str, &str); 9] = [
    (SortKey::Tenant, "Tenant", "col-tenant"),
    (SortKey::Customer, "Customer", "col-customer"),
    (SortKey::Domain, "Domain", "col-domain"),
    (SortKey::Cluster, "Cluster", "col-cluster"),
    (SortKey::Version, "Version", "col-version"),
    (SortKey::Health, "Health", "col-health"),
    (SortKey::Ready, "Ready", "col-ready"),
    (SortKey::Backup, "Backup", "col-backup"),
    (SortKey::Seen, "Seen", "col-seen"),
];

/// Properties of [`TenantTable`].
#[derive(Properties, PartialEq)]
pub struct TenantTableProps {
    /// The rows, filtered and sorted.
    pub rows: Rc<Vec<TenantSummary>>,
    /// The sort column and whether it ascends.
    pub sort: (SortKey, bool),
    /// Asks to sort by a column (again: reverse).
    pub on_sort: Callback<SortKey>,
    /// Opens a tenant: `(cluster, id)`.
    pub on_open: Callback<(String, String)>,
    /// The row the keyboard cursor is on, kept in view.
    pub cursor: Option<usize>,
    /// Now, in ms since the epoch (for ages).
    pub now: f64,
}

fn colgroup() -> Html {
    html! { <colgroup>{ for COLUMNS.iter().map(|(_, _, class)| html! { <col class={*class} /> }) }</colgroup> }
}

/// A fixed header over a scrolling viewport that renders only the rows in view.
#[function_component(TenantTable)]
pub fn tenant_table(props: &TenantTableProps) -> Html {
    let viewport = use_node_ref();
    let sizer = use_node_ref();
    let body = use_node_ref();
    let window = use_state(|| (0.0_f64, 800.0_f64));
    let on_scroll = {
        let (viewport, window) = (viewport.clone(), window.clone());
        Callback::from(move |_: Event| {
            if let Some(element) = viewport.cast::<HtmlElement>() {
                window.set((f64::from(element.scroll_top()), f64::from(element.client_height())));
            }
        })
    };
    let total = props.rows.len();
    let first = ((window.0 / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN).min(total);
    let last = (first + (window.1 / ROW_HEIGHT) as usize + 2 * OVERSCAN + 1).min(total);
    {
        // The CSP forbids inline style attributes; sizes go through the CSS object model.
        let (viewport, sizer, body, window) = (viewport.clone(), sizer.clone(), body.clone(), window.clone());
        use_effect_with((total, first), move |(total, first)| {
            if let Some(sizer) = sizer.cast::<HtmlElement>() {
                let _ = sizer.style().set_property("height", &format!("{}px", *total as f64 * ROW_HEIGHT));
            }
            if let Some(body) = body.cast::<HtmlElement>() {
                let offset = *first as f64 * ROW_HEIGHT;
                let _ = body.style().set_property("transform", &format!("translateY({offset}px)"));
            }
            if let Some(element) = viewport.cast::<HtmlElement>() {
                let height = f64::from(element.client_height());
                if height > 0.0 && (height - window.1).abs() > 1.0 {
                    window.set((window.0, height));
                }
            }
        });
    }
    {
        let viewport = viewport.clone();
        use_effect_with(props.cursor, move |cursor| {
            let (Some(cursor), Some(element)) = (cursor, viewport.cast::<HtmlElement>()) else { return };
            let top = *cursor as f64 * ROW_HEIGHT;
            let height = f64::from(element.client_height());
            let scrolled = f64::from(element.scroll_top());
            if top < scrolled {
                element.set_scroll_top(top as i32);
            } else if top + ROW_HEIGHT > scrolled + height {
                element.set_scroll_top((top + ROW_HEIGHT - height) as i32);
            }
        });
    }
    let header = COLUMNS.iter().map(|(key, label, _)| {
        let on_sort = props.on_sort.clone();
        let key = *key;
        let arrow = match props.sort {
            (sorted, true) if sorted == key => " ▲",
            (sorted, false) if sorted == key => " ▼",
            _ => "",
        };
        html! { <th onclick={Callback::from(move |_: MouseEvent| on_sort.emit(key))}>{ format!("{label}{arrow}") }</th> }
    });
    html! {
        <div class="tenant-table">
            <table class="tenants tenants-head">{ colgroup() }<thead><tr>{ for header }</tr></thead></table>
            <div class="viewport" ref={viewport} onscroll={on_scroll}>
                <div class="sizer" ref={sizer}>
                    <table class="tenants" ref={body}>
                        { colgroup() }
                        <tbody>{ for props.rows[first..last].iter().enumerate().map(|(i, tenant)| {
                            row(tenant, &props.on_open, props.cursor == Some(first + i), props.now)
                        }) }</tbody>
                    </table>
                </div>
            </div>
        </div>
    }
}

fn row(tenant: &TenantSummary, on_open: &Callback<(String, String)>, selected: bool, now: f64) -> Html {
    let key = (tenant.cluster.clone(), tenant.id.clone());
    let onclick = on_open.reform(move |_: MouseEvent| key.clone());
    let domain = match tenant.domains.as_slice() {
        [] => "—".to_owned(),
        [one] => one.clone(),
        [one, more @ ..] => format!("{one} +{}", more.len()),
    };
    let (freshness, seen) = match &tenant.freshness {
        Freshness::Live => ("live", "live".to_owned()),
        Freshness::Cached { as_of } => ("cached", ago(as_of, now)),
        Freshness::Stale { last_seen } => ("stale", ago(last_seen, now)),
    };
    let backup = tenant.last_backup.as_ref().map(|b| {
        let when = b.started.as_deref().map(|s| age(s, now)).unwrap_or_default();
        let class = match b.result {
            BackupResult::Succeeded => "backup-ok",
            BackupResult::Failed => "backup-failed",
            BackupResult::Running => "backup-running",
        };
        html! { <span class={class} title={format!("{:?}", b.result)}>{ when }</span> }
    });
    html! {
        <tr class={classes!("tenant-row", format!("row-{freshness}"), selected.then_some("selected"))}
            data-tenant={tenant.id.clone()} data-cluster={tenant.cluster.clone()} data-freshness={freshness} {onclick}>
            <td><span class="name">{ &tenant.id }</span>
                if let Some(controller) = &tenant.gitops { <span class="gitops-tag" title={format!("Managed by {controller}")}>{ "GitOps" }</span> }
                if let Some(drift) = &tenant.drift { <span class="drift-tag" title={drift.clone()}>{ "drifted" }</span> }
                <div class="sub">{ &tenant.display_name }</div></td>
            <td>{ &tenant.customer }</td>
            <td><code>{ domain }</code></td>
            <td>{ &tenant.cluster }</td>
            <td>{ &tenant.version }</td>
            <td class="health-cell" title={tenant.reason.clone()}>
                <HealthBadge health={tenant.health} />
                if tenant.health != Health::Healthy { <div class="sub reason">{ &tenant.reason }</div> }
            </td>
            <td class="num">{ format!("{}/{}", tenant.ready, tenant.desired) }</td>
            <td class="muted">{ backup.unwrap_or_else(|| html! { "—" }) }</td>
            <td class={classes!("seen", format!("seen-{freshness}"))} title={freshness}>{ seen }</td>
        </tr>
    }
}
