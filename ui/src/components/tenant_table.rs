//! The fleet table: sortable, resizable and hideable columns, rows chosen by checkbox, ctrl- or
//! shift-click, and only the rows in view rendered, so ten thousand tenants scroll as smoothly as
//! ten.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use tenantry_model::{BackupResult, Freshness, Health, TenantSummary};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use web_sys::HtmlElement;
use yew::prelude::*;

use super::health_badge::HealthBadge;
use super::text_width::fit_width;
use crate::hooks::{age, ago};
use crate::state::columns::{Column, Font, Layout, shared_ends};
use crate::state::selection::Selection;

/// Height of one row in pixels (kept equal to `.tenants td` in styles.css).
const ROW_HEIGHT: f64 = 48.0;
/// Rows rendered above and below the visible ones, so fast scrolling shows no gaps.
const OVERSCAN: usize = 10;
/// Width of the checkbox column in pixels.
const PICK_WIDTH: u32 = 36;

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
    pub fn sort(self, rows: &mut [Arc<TenantSummary>], ascending: bool) {
        rows.sort_by(|a, b| {
            let by_column = match self {
                Self::Tenant => a.fleet_order(b),
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

/// The column a sort key belongs to.
fn sort_key(column: &str) -> Option<SortKey> {
    Some(match column {
        "tenant" => SortKey::Tenant,
        "customer" => SortKey::Customer,
        "domain" => SortKey::Domain,
        "cluster" => SortKey::Cluster,
        "version" => SortKey::Version,
        "health" => SortKey::Health,
        "ready" => SortKey::Ready,
        "backup" => SortKey::Backup,
        "seen" => SortKey::Seen,
        _ => return None,
    })
}

/// Properties of [`TenantTable`].
#[derive(Properties, PartialEq)]
pub struct TenantTableProps {
    /// The rows, filtered and sorted.
    pub rows: Rc<Vec<Arc<TenantSummary>>>,
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
    /// The chosen tenants.
    pub selection: Rc<Selection>,
    /// Picks row `index` (toggle), or with `true` the range from the last pick to it.
    pub on_pick: Callback<(usize, bool)>,
    /// Chooses every row (`true`) or none.
    pub on_pick_all: Callback<bool>,
    /// The columns shown and their widths.
    pub layout: Rc<Layout>,
    /// A column was dragged to a new width: `(column id, pixels)`.
    pub on_resize: Callback<(&'static str, f64)>,
}

fn colgroup(columns: &[Column]) -> Html {
    html! {
        <colgroup>
            <col class="col-pick" />
            { for columns.iter().map(|c| html! { <col class={format!("col-{}", c.id)} /> }) }
        </colgroup>
    }
}

/// A document event listener: the event's name and the handler.
type Listener = (&'static str, Closure<dyn Fn(MouseEvent)>);

/// A column drag under way: the document listeners that follow the pointer until the button is
/// released.
struct Drag {
    listeners: Vec<Listener>,
}

/// A fixed header over a scrolling viewport that renders only the rows in view; a checkbox
/// column chooses rows, header edges drag column widths.
#[function_component(TenantTable)]
pub fn tenant_table(props: &TenantTableProps) -> Html {
    let container = use_node_ref();
    let viewport = use_node_ref();
    let sizer = use_node_ref();
    let body = use_node_ref();
    let drag = use_mut_ref(|| None::<Drag>);
    let window = use_state(|| (0.0_f64, 800.0_f64));
    let on_scroll = {
        let (viewport, window) = (viewport.clone(), window.clone());
        Callback::from(move |_: Event| {
            if let Some(element) = viewport.cast::<HtmlElement>() {
                window.set((f64::from(element.scroll_top()), f64::from(element.client_height())));
            }
        })
    };
    let columns = props.layout.visible();
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
        let container = container.clone();
        use_effect_with(props.layout.clone(), move |layout| {
            if let Some(container) = container.cast::<HtmlElement>() {
                apply_widths(&container, layout);
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
    let start_drag = |column: Column| {
        let (drag, container, on_resize, layout) =
            (drag.clone(), container.clone(), props.on_resize.clone(), props.layout.clone());
        Callback::from(move |event: MouseEvent| {
            event.prevent_default();
            event.stop_propagation();
            let (start_x, start_width) = (f64::from(event.client_x()), f64::from(layout.width(&column)));
            let width_at = move |event: &MouseEvent| start_width + f64::from(event.client_x()) - start_x;
            let moving = {
                let (container, layout) = (container.clone(), layout.clone());
                Closure::<dyn Fn(MouseEvent)>::new(move |event: MouseEvent| {
                    let mut dragged = (*layout).clone();
                    dragged.set_width(column.id, width_at(&event));
                    if let Some(container) = container.cast::<HtmlElement>() {
                        apply_widths(&container, &dragged);
                    }
                })
            };
            let released = {
                let (drag, on_resize) = (drag.clone(), on_resize.clone());
                Closure::<dyn Fn(MouseEvent)>::new(move |event: MouseEvent| {
                    on_resize.emit((column.id, width_at(&event)));
                    stop_drag(&drag);
                })
            };
            stop_drag(&drag);
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                for (name, listener) in [("mousemove", &moving), ("mouseup", &released)] {
                    let _ = document.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
                }
            }
            *drag.borrow_mut() = Some(Drag { listeners: vec![("mousemove", moving), ("mouseup", released)] });
        })
    };
    let header = columns.iter().map(|column| {
        let key = sort_key(column.id);
        let on_sort = props.on_sort.clone();
        let arrow = match (props.sort, key) {
            ((sorted, true), Some(key)) if sorted == key => " ▲",
            ((sorted, false), Some(key)) if sorted == key => " ▼",
            _ => "",
        };
        let onclick = Callback::from(move |_: MouseEvent| {
            if let Some(key) = key {
                on_sort.emit(key);
            }
        });
        html! {
            <th {onclick} data-column={column.id} title={column.label}>
                { format!("{}{arrow}", column.label) }
                <span class="col-resizer" title="Drag to resize" onmousedown={start_drag(*column)}
                      onclick={Callback::from(|event: MouseEvent| event.stop_propagation())} />
            </th>
        }
    });
    let all_chosen = total > 0 && props.rows.iter().all(|row| props.selection.contains(row));
    let on_pick_all = {
        let on_pick_all = props.on_pick_all.clone();
        Callback::from(move |_: MouseEvent| on_pick_all.emit(!all_chosen))
    };
    let rendered = &props.rows[first..last];
    let ends =
        |text: fn(&TenantSummary) -> &str| shared_ends(&rendered.iter().map(|row| text(row)).collect::<Vec<_>>());
    let shared = vec![
        ("tenant", ends(|t| &t.id)),
        ("customer", ends(|t| &t.customer)),
        ("domain", ends(|t| t.domains.first().map_or("", String::as_str))),
        ("cluster", ends(|t| &t.cluster)),
        ("version", ends(|t| &t.version)),
    ];
    let view = RowView { columns: &columns, layout: &props.layout, now: props.now, shared };
    html! {
        <div class="tenant-table" ref={container.clone()}>
            <table class="tenants tenants-head">{ colgroup(&columns) }<thead><tr>
                <th class="pick"><input type="checkbox" id="pick-all" checked={all_chosen} onclick={on_pick_all}
                    title={format!("Choose all {total} matching tenants")} aria-label="Choose all matching tenants" /></th>
                { for header }
            </tr></thead></table>
            <div class="viewport" ref={viewport} onscroll={on_scroll}>
                <div class="sizer" ref={sizer}>
                    <table class="tenants" ref={body}>
                        { colgroup(&columns) }
                        <tbody>{ for props.rows[first..last].iter().enumerate().map(|(i, tenant)| {
                            let index = first + i;
                            view.row(tenant, index, &props.on_open, &props.on_pick,
                                     props.cursor == Some(index), props.selection.contains(tenant))
                        }) }</tbody>
                    </table>
                </div>
            </div>
        </div>
    }
}

/// Removes the listeners of the drag under way, if any.
fn stop_drag(drag: &Rc<RefCell<Option<Drag>>>) {
    let Some(ended) = drag.borrow_mut().take() else { return };
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        for (name, listener) in &ended.listeners {
            let _ = document.remove_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
    }
}

/// Sets every `<col>`'s width and the tables' width from `layout` (both tables share them).
fn apply_widths(container: &HtmlElement, layout: &Layout) {
    let visible = layout.visible();
    let total: u32 = PICK_WIDTH + visible.iter().map(|c| layout.width(c)).sum::<u32>();
    let set = |selector: &str, property: &str, value: String| {
        if let Ok(found) = container.query_selector_all(selector) {
            for index in 0..found.length() {
                if let Some(element) = found.item(index).and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
                    let _ = element.style().set_property(property, &value);
                }
            }
        }
    };
    set("col.col-pick", "width", format!("{PICK_WIDTH}px"));
    for column in &visible {
        set(&format!("col.col-{}", column.id), "width", format!("{}px", layout.width(column)));
    }
    set("table.tenants", "width", format!("{total}px"));
}

/// What rendering a row needs besides the row.
struct RowView<'a> {
    columns: &'a [Column],
    layout: &'a Layout,
    now: f64,
    /// Per column, the characters the rendered rows' texts share at their start and end.
    shared: Vec<(&'static str, (usize, usize))>,
}

impl RowView<'_> {
    /// `text` fitted to column `id` in `font` (less `taken` pixels), keeping what tells it
    /// apart from the same column's text in the rows around it.
    fn fit(&self, id: &str, text: &str, font: Font, taken: f64) -> String {
        let shared = self.shared.iter().find(|(column, _)| *column == id).map_or((0, 0), |(_, ends)| *ends);
        match self.columns.iter().find(|c| c.id == id) {
            Some(column) => fit_width(text, self.layout.room(column) - taken, font.css(), shared),
            None => text.to_owned(),
        }
    }

    fn row(
        &self,
        tenant: &TenantSummary,
        index: usize,
        on_open: &Callback<(String, String)>,
        on_pick: &Callback<(usize, bool)>,
        cursor: bool,
        chosen: bool,
    ) -> Html {
        let key = (tenant.cluster.clone(), tenant.id.clone());
        let onclick = {
            let (on_open, on_pick) = (on_open.clone(), on_pick.clone());
            Callback::from(move |event: MouseEvent| {
                if event.ctrl_key() || event.meta_key() {
                    on_pick.emit((index, false));
                } else if event.shift_key() {
                    event.prevent_default();
                    on_pick.emit((index, true));
                } else {
                    on_open.emit(key.clone());
                }
            })
        };
        let on_check = {
            let on_pick = on_pick.clone();
            Callback::from(move |event: MouseEvent| {
                event.stop_propagation();
                on_pick.emit((index, event.shift_key()));
            })
        };
        let cells = self.columns.iter().map(|column| self.cell(column.id, tenant));
        html! {
            <tr class={classes!("tenant-row", format!("row-{}", freshness(tenant).0), cursor.then_some("selected"), chosen.then_some("chosen"))}
                data-tenant={tenant.id.clone()} data-cluster={tenant.cluster.clone()} data-freshness={freshness(tenant).0} {onclick}>
                <td class="pick"><input type="checkbox" class="pick-row" checked={chosen} onclick={on_check}
                    aria-label={format!("Choose {}", tenant.id)} /></td>
                { for cells }
            </tr>
        }
    }

    fn cell(&self, column: &str, tenant: &TenantSummary) -> Html {
        let fitted =
            |text: &str| html! { <span title={text.to_owned()}>{ self.fit(column, text, Font::Text, 0.0) }</span> };
        match column {
            "tenant" => html! {
                <td><span class="name" title={tenant.id.clone()}>{ self.fit(column, &tenant.id, Font::Bold, tags(tenant)) }</span>
                    if let Some(controller) = &tenant.gitops { <span class="gitops-tag" title={format!("Managed by {controller}")}>{ "GitOps" }</span> }
                    if let Some(drift) = &tenant.drift { <span class="drift-tag" title={drift.clone()}>{ "drifted" }</span> }
                    <div class="sub" title={tenant.display_name.clone()}>{ self.fit(column, &tenant.display_name, Font::Text, 0.0) }</div></td>
            },
            "customer" => html! { <td>{ fitted(&tenant.customer) }</td> },
            "domain" => {
                let (first, more) = match tenant.domains.as_slice() {
                    [] => ("—".to_owned(), String::new()),
                    [one] => (one.clone(), String::new()),
                    [one, rest @ ..] => (one.clone(), format!(" +{}", rest.len())),
                };
                let taken = 7.6 * more.len() as f64;
                html! { <td><code title={tenant.domains.join(", ")}>{ self.fit(column, &first, Font::Mono, taken) }{ more }</code></td> }
            }
            "cluster" => html! { <td>{ fitted(&tenant.cluster) }</td> },
            "version" => html! { <td>{ fitted(&tenant.version) }</td> },
            "health" => html! {
                <td class="health-cell" title={tenant.reason.clone()}>
                    <HealthBadge health={tenant.health} />
                    if tenant.health != Health::Healthy { <div class="sub reason">{ &tenant.reason }</div> }
                </td>
            },
            "ready" => html! { <td class="num">{ format!("{}/{}", tenant.ready, tenant.desired) }</td> },
            "backup" => {
                let backup = tenant.last_backup.as_ref().map(|b| {
                    let when = b.started.as_deref().map(|s| age(s, self.now)).unwrap_or_default();
                    let class = match b.result {
                        BackupResult::Succeeded => "backup-ok",
                        BackupResult::Failed => "backup-failed",
                        BackupResult::Running => "backup-running",
                    };
                    html! { <span class={class} title={format!("{:?}", b.result)}>{ when }</span> }
                });
                html! { <td class="muted">{ backup.unwrap_or_else(|| html! { "—" }) }</td> }
            }
            _ => {
                let (class, seen) = freshness(tenant);
                let seen = if class == "live" { seen } else { ago(&seen, self.now) };
                html! { <td class={classes!("seen", format!("seen-{class}"))} title={class}>{ seen }</td> }
            }
        }
    }
}

/// Pixels the tags after a tenant's id take (GitOps, drifted).
fn tags(tenant: &TenantSummary) -> f64 {
    [tenant.gitops.is_some(), tenant.drift.is_some()].into_iter().filter(|&shown| shown).count() as f64 * 62.0
}

/// The row's freshness class and, for a row not live, when it was last seen (RFC 3339).
fn freshness(tenant: &TenantSummary) -> (&'static str, String) {
    match &tenant.freshness {
        Freshness::Live => ("live", "live".to_owned()),
        Freshness::Cached { as_of } => ("cached", as_of.clone()),
        Freshness::Stale { last_seen } => ("stale", last_seen.clone()),
    }
}
