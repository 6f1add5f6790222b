//! The fleet table: sortable columns, and only the rows in view are rendered, so ten thousand
//! tenants scroll as smoothly as ten.

use std::rc::Rc;

use tenantry_model::{Health, TenantSummary};
use web_sys::HtmlElement;
use yew::prelude::*;

use super::health_badge::HealthBadge;

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
            };
            let ordered = if ascending { by_column } else { by_column.reverse() };
            ordered.then_with(|| (&a.cluster, &a.id).cmp(&(&b.cluster, &b.id)))
        });
    }
}

const COLUMNS: [(SortKey, &str, &str); 7] = [
    (SortKey::Tenant, "Tenant", "col-tenant"),
    (SortKey::Customer, "Customer", "col-customer"),
    (SortKey::Domain, "Domain", "col-domain"),
    (SortKey::Cluster, "Cluster", "col-cluster"),
    (SortKey::Version, "Version", "col-version"),
    (SortKey::Health, "Health", "col-health"),
    (SortKey::Ready, "Ready", "col-ready"),
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
                        <tbody>{ for props.rows[first..last].iter().map(|tenant| row(tenant, &props.on_open)) }</tbody>
                    </table>
                </div>
            </div>
        </div>
    }
}

fn row(tenant: &TenantSummary, on_open: &Callback<(String, String)>) -> Html {
    let key = (tenant.cluster.clone(), tenant.id.clone());
    let onclick = on_open.reform(move |_: MouseEvent| key.clone());
    let domain = match tenant.domains.as_slice() {
        [] => "—".to_owned(),
        [one] => one.clone(),
        [one, more @ ..] => format!("{one} +{}", more.len()),
    };
    html! {
        <tr class="tenant-row" data-tenant={tenant.id.clone()} data-cluster={tenant.cluster.clone()} {onclick}>
            <td><span class="name">{ &tenant.id }</span><div class="sub">{ &tenant.display_name }</div></td>
            <td>{ &tenant.customer }</td>
            <td><code>{ domain }</code></td>
            <td>{ &tenant.cluster }</td>
            <td>{ &tenant.version }</td>
            <td title={tenant.reason.clone()}>
                <HealthBadge health={tenant.health} />
                if tenant.health != Health::Healthy { <div class="sub reason">{ &tenant.reason }</div> }
            </td>
            <td class="num">{ format!("{}/{}", tenant.ready, tenant.desired) }</td>
        </tr>
    }
}
