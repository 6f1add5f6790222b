//! The fleet view: clusters, search, health and version filters, the offline banner and the table
//! of every tenant on every cluster, with keyboard navigation.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

use tenantry_model::{Health, TenantSummary};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::{
    ClusterNav, CreateDialog, HealthFilter, Notice, OfflineBanner, RolloutDialog, SincePanel, SortKey, TenantTable,
    Unfinished,
};
use crate::hooks::{use_clock, use_keydown, use_search_keys};
use crate::pages::tenant_detail::TenantDetailPage;
use crate::state::columns::{ALWAYS_SHOWN, COLUMNS, Layout};
use crate::state::fleet::{FleetState, health_counts};
use crate::state::selection::Selection;

/// Properties of [`TenantsPage`].
#[derive(Properties, PartialEq)]
pub struct TenantsPageProps {
    /// The inventory (the reducer's handle: passing it copies nothing).
    pub fleet: UseReducerHandle<FleetState>,
    /// Shows a rollout that was just started.
    pub on_rollout: Callback<i64>,
    /// A tenant to open (`cluster`, `id`, request number), as the tray menu asked.
    #[prop_or_default]
    pub open: Option<(String, String, u32)>,
    /// The user's groups of clusters: name → contexts.
    #[prop_or_default]
    pub groups: Rc<BTreeMap<String, BTreeSet<String>>>,
}

/// The filters the table applies: search text (lower case), cluster, health, version, only
/// drifted tenants, sort, the clusters of the chosen group.
type Filters =
    (String, Option<String>, Option<Health>, Option<String>, bool, (SortKey, bool), Option<BTreeSet<String>>);

/// Clusters with their state (click to filter), search box, health counts (click to filter), a
/// version filter and the sortable, virtualised table. Arrows move the cursor, Enter opens.
#[function_component(TenantsPage)]
pub fn tenants_page(props: &TenantsPageProps) -> Html {
    let search = use_state(String::new);
    let opened = use_state(|| None::<(String, String)>);
    {
        let opened = opened.clone();
        use_effect_with(props.open.clone(), move |asked| {
            if let Some((cluster, id, _)) = asked {
                opened.set(Some((cluster.clone(), id.clone())));
            }
        });
    }
    let creating = use_state(|| false);
    let cluster = use_state(|| None::<String>);
    let health = use_state(|| None::<Health>);
    let version = use_state(|| None::<String>);
    let group = use_state(|| None::<String>);
    let drifted_only = use_state(|| false);
    let since_dismissed = use_state(|| false);
    let sort = use_state(|| (SortKey::Tenant, true));
    let cursor = use_state(|| None::<usize>);
    let selection = use_state(|| Rc::new(Selection::default()));
    let layout = use_state(|| Rc::new(Layout::load()));
    let columns_open = use_state(|| false);
    let changing = use_state(|| false);
    let now = use_clock();
    let actions = use_context::<crate::state::ActionsContext>();
    let actions_generation = actions.as_ref().map_or(0, |a| a.generation);
    let on_created = actions.map(|a| a.ended).unwrap_or_default();
    let fleet = &props.fleet;
    let needle = search.to_lowercase();
    let group_members = group.as_ref().map(|name| props.groups.get(name).cloned().unwrap_or_default());
    let filters: Filters =
        (needle.clone(), (*cluster).clone(), *health, (*version).clone(), *drifted_only, *sort, group_members);
    let rows = use_memo(
        (props.fleet.clone(), filters.clone()),
        |(fleet, (needle, cluster, health, version, drifted, sort, members))| {
            let mut rows: Vec<Arc<TenantSummary>> = fleet
                .tenants
                .values()
                .filter(|t| cluster.as_ref().is_none_or(|c| &t.cluster == c))
                .filter(|t| members.as_ref().is_none_or(|m| m.contains(&t.cluster)))
                .filter(|t| version.as_ref().is_none_or(|v| &t.version == v))
                .filter(|t| !*drifted || t.drift.is_some())
                .filter(|t| health.is_none_or(|h| t.health == h) && t.matches(needle))
                .cloned()
                .collect();
            sort.0.sort(&mut rows, sort.1);
            rows
        },
    );
    {
        let cursor = cursor.clone();
        use_effect_with(filters, move |_| cursor.set(None));
    }
    {
        // Tenants that left the fleet leave the selection; the others stay through live updates.
        let (selection, fleet) = (selection.clone(), props.fleet.clone());
        use_effect_with(fleet.tenants.len(), move |_| {
            let mut kept = (**selection).clone();
            kept.retain(|key| fleet.tenants.contains_key(key));
            if kept != **selection {
                selection.set(Rc::new(kept));
            }
        });
    }
    let keys = use_mut_ref(|| (Rc::new(Vec::new()), None::<usize>, false, false));
    *keys.borrow_mut() = (rows.clone(), *cursor, opened.is_some() || *changing, selection.is_empty());
    {
        let (keys, cursor, opened, selection) = (keys.clone(), cursor.clone(), opened.clone(), selection.clone());
        use_keydown(move |event, typing| {
            let (rows, at, detail_open, nothing_chosen) = keys.borrow().clone();
            if detail_open {
                return;
            }
            if event.key() == "Escape" && !nothing_chosen && !typing {
                selection.set(Rc::new(Selection::default()));
                return;
            }
            if rows.is_empty() {
                return;
            }
            let last = rows.len() - 1;
            match event.key().as_str() {
                "ArrowDown" => cursor.set(Some(at.map_or(0, |i| (i + 1).min(last)))),
                "ArrowUp" => cursor.set(Some(at.map_or(0, |i| i.saturating_sub(1)))),
                "PageDown" if !typing => cursor.set(Some(at.map_or(0, |i| (i + 10).min(last)))),
                "PageUp" if !typing => cursor.set(Some(at.map_or(0, |i| i.saturating_sub(10)))),
                "Enter" => {
                    let pick = at.or((typing && rows.len() == 1).then_some(0));
                    if let Some(tenant) = pick.and_then(|i| rows.get(i)) {
                        opened.set(Some((tenant.cluster.clone(), tenant.id.clone())));
                    }
                    return;
                }
                _ => return,
            }
            event.prevent_default();
        });
    }
    let searched: Vec<&TenantSummary> = fleet.tenants.values().map(|t| &**t).filter(|t| t.matches(&needle)).collect();
    let mut per_cluster: BTreeMap<String, usize> = BTreeMap::new();
    for tenant in &searched {
        *per_cluster.entry(tenant.cluster.clone()).or_insert(0) += 1;
    }
    let drifted_count = fleet.tenants.values().filter(|t| t.drift.is_some()).count();
    let counts = health_counts(searched.iter().copied().filter(|t| cluster.as_ref().is_none_or(|c| &t.cluster == c)));
    let on_search = {
        let search = search.clone();
        Callback::from(move |event: InputEvent| search.set(event.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let search_box = use_node_ref();
    {
        let search = search.clone();
        use_search_keys(search_box.clone(), Callback::from(move |()| search.set(String::new())));
    }
    let on_cluster = {
        let cluster = cluster.clone();
        Callback::from(move |picked: Option<String>| cluster.set(picked))
    };
    let on_health = {
        let health = health.clone();
        Callback::from(move |picked: Option<Health>| health.set(picked))
    };
    let on_version = {
        let version = version.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            version.set((!value.is_empty()).then_some(value));
        })
    };
    let on_sort = {
        let sort = sort.clone();
        Callback::from(move |key: SortKey| sort.set((key, if sort.0 == key { !sort.1 } else { true })))
    };
    if let Some((cluster, id)) = (*opened).clone() {
        let opened = opened.clone();
        let row = fleet.tenants.get(&(cluster.clone(), id.clone())).cloned();
        return html! { <TenantDetailPage {cluster} {id} {row} on_back={Callback::from(move |()| opened.set(None))} /> };
    }
    let on_open = {
        let opened = opened.clone();
        Callback::from(move |key: (String, String)| opened.set(Some(key)))
    };
    let on_pick = {
        let (selection, rows) = (selection.clone(), rows.clone());
        Callback::from(move |(index, range): (usize, bool)| {
            let mut next = (**selection).clone();
            next.pick(&rows, index, range);
            selection.set(Rc::new(next));
        })
    };
    let on_pick_all = {
        let (selection, rows) = (selection.clone(), rows.clone());
        Callback::from(move |all: bool| {
            let mut next = (**selection).clone();
            if all {
                next.choose_all(&rows);
            } else {
                next.clear();
            }
            selection.set(Rc::new(next));
        })
    };
    let on_resize = {
        let layout = layout.clone();
        Callback::from(move |(id, width): (&'static str, f64)| {
            let mut next = (**layout).clone();
            next.set_width(id, width);
            next.save();
            layout.set(Rc::new(next));
        })
    };
    let toggle_column = |id: &'static str| {
        let layout = layout.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (**layout).clone();
            next.toggle(id);
            next.save();
            layout.set(Rc::new(next));
        })
    };
    let reset_columns = {
        let layout = layout.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (**layout).clone();
            next.reset();
            next.save();
            layout.set(Rc::new(next));
        })
    };
    let columns_menu = html! {
        <div class="columns-menu">
            <button id="columns-button" class="secondary" aria-expanded={columns_open.to_string()}
                    onclick={{ let columns_open = columns_open.clone(); Callback::from(move |_: MouseEvent| columns_open.set(!*columns_open)) }}>
                { "Columns" }
            </button>
            if *columns_open {
                <div class="menu" role="menu">
                    { for COLUMNS.iter().map(|c| html! {
                        <label class="menu-item">
                            <input type="checkbox" data-column={c.id} checked={layout.shown(c.id)}
                                   disabled={c.id == ALWAYS_SHOWN} onclick={toggle_column(c.id)} />
                            { c.label }
                        </label>
                    }) }
                    <button class="link" onclick={reset_columns}>{ "Default widths and columns" }</button>
                </div>
            }
        </div>
    };
    let chosen = selection.ordered(&rows);
    let matching_unchosen = rows.iter().filter(|row| !selection.contains(row)).count();
    let selection_bar = (!selection.is_empty()).then(|| {
        let clear = { let selection = selection.clone(); Callback::from(move |_: MouseEvent| selection.set(Rc::new(Selection::default()))) };
        let all = on_pick_all.reform(|_: MouseEvent| true);
        let change = { let changing = changing.clone(); Callback::from(move |_: MouseEvent| changing.set(true)) };
        html! {
            <div class="selection-bar" role="status">
                <strong id="selection-count">{ format!("{} chosen", selection.len()) }</strong>
                if selection.len() > chosen.iter().filter(|k| rows.iter().any(|r| r.cluster == k.0 && r.id == k.1)).count() {
                    <span class="muted">{ " (some hidden by the filters)" }</span>
                }
                if matching_unchosen > 0 {
                    <button id="choose-all-matching" class="link" onclick={all}>
                        { format!("Choose all {} matching", rows.len()) }</button>
                }
                <button class="link" id="clear-selection" onclick={clear}>{ "Clear (Esc)" }</button>
                <button class="primary" id="change-chosen" onclick={change}>{ format!("Change {} tenants…", selection.len()) }</button>
            </div>
        }
    });
    let close_change = {
        let changing = changing.clone();
        Callback::from(move |()| changing.set(false))
    };
    let on_started = {
        let (changing, selection, on_rollout) = (changing.clone(), selection.clone(), props.on_rollout.clone());
        Callback::from(move |id: i64| {
            changing.set(false);
            selection.set(Rc::new(Selection::default()));
            on_rollout.emit(id);
        })
    };
    let all_live = fleet.not_live().is_empty();
    let live_clusters: Vec<String> = fleet
        .clusters
        .values()
        .filter(|c| c.state == tenantry_model::ConnectionState::Live)
        .map(|c| c.context.clone())
        .collect();
    let close_create = {
        let creating = creating.clone();
        Callback::from(move |()| creating.set(false))
    };
    html! {
        <>
            if let Some(error) = fleet.error.clone() {
                <Notice {error} />
            }
            if let Some(error) = fleet.notice.clone() {
                <Notice {error} />
            }
            if let Some(as_of) = fleet.offline_since() {
                <OfflineBanner as_of={as_of.to_owned()} clusters={fleet.not_live().join(", ")} {now} />
            }
            <Unfinished generation={actions_generation} />
            if *creating {
                <CreateDialog clusters={live_clusters.clone()} on_close={close_create} on_ended={on_created} />
            }
            if *changing {
                <RolloutDialog targets={chosen.clone()} on_close={close_change} {on_started} />
            }
            <div class="fleet">
            <ClusterNav clusters={fleet.clusters.clone()} counts={per_cluster} selected={(*cluster).clone()} on_select={on_cluster} {now} />
            <section class="fleet-main">
            <div class="toolbar">
                <input id="tenant-search" class="search" type="search" value={(*search).clone()} oninput={on_search}
                       ref={search_box} placeholder="Search by name, customer or domain   ( / )" aria-label="Search tenants" />
                <select id="version-filter" class="version-filter" aria-label="Filter by version" onchange={on_version}>
                    <option value="" selected={version.is_none()}>{ "All versions" }</option>
                    { for fleet.versions().into_iter().map(|v| html! {
                        <option value={v.clone()} selected={version.as_ref() == Some(&v)}>{ v }</option>
                    }) }
                </select>
                if !props.groups.is_empty() {
                    <select id="group-filter" class="version-filter" aria-label="Filter by group of clusters"
                            onchange={{ let group = group.clone(); Callback::from(move |event: Event| {
                                let value = event.target_unchecked_into::<HtmlSelectElement>().value();
                                group.set((!value.is_empty()).then_some(value));
                            }) }}>
                        <option value="" selected={group.is_none()}>{ "All groups" }</option>
                        { for props.groups.keys().map(|name| html! {
                            <option value={name.clone()} selected={group.as_ref() == Some(name)}>{ name }</option>
                        }) }
                    </select>
                }
                <button id="drift-filter" class={classes!("chip", "drift-filter", drifted_only.then_some("active"))}
                        title="Tenants whose objects someone changed outside Tenantry (checked in the background)"
                        onclick={{ let drifted_only = drifted_only.clone(); Callback::from(move |_: MouseEvent| drifted_only.set(!*drifted_only)) }}>
                    { "drifted" }<span class="chip-count">{ drifted_count }</span>
                </button>
                <span class="muted count-note">{ count_note(rows.len(), fleet.tenants.len(), fleet.arriving) }</span>
                { columns_menu }
                <button class="primary new-tenant" id="new-tenant" disabled={live_clusters.is_empty()}
                        title={if live_clusters.is_empty() { "No cluster is live." } else { "" }}
                        onclick={{ let creating = creating.clone(); Callback::from(move |_: MouseEvent| creating.set(true)) }}>{ "New tenant" }</button>
            </div>
            <HealthFilter {counts} selected={*health} on_select={on_health} />
            { for selection_bar }
            <SincePanel {all_live} on_open={on_open.clone()} dismissed={*since_dismissed}
                on_dismiss={{ let since_dismissed = since_dismissed.clone(); Callback::from(move |()| since_dismissed.set(true)) }} />
            if !fleet.loaded {
                <div class="empty" aria-busy="true"><p>{ "Loading the fleet…" }</p></div>
            } else if fleet.tenants.is_empty() && fleet.clusters.is_empty() {
                <div class="empty">
                    <h2>{ "No cluster to watch" }</h2>
                    <p>{ "The kubeconfig lists no usable cluster; the Clusters view says why." }</p>
                </div>
            } else if fleet.tenants.is_empty() && all_live {
                <div class="empty">
                    <h2>{ "No tenants yet" }</h2>
                    <p>{ "No namespace on these clusters carries the tenantry.io/tenant label." }</p>
                </div>
            } else if fleet.tenants.is_empty() {
                <div class="empty" aria-busy="true">
                    <h2>{ "Connecting to the clusters…" }</h2>
                    <p>{ "Nothing is cached yet; tenants appear as each cluster answers." }</p>
                </div>
            } else {
                <TenantTable {rows} sort={*sort} {on_sort} {on_open} cursor={*cursor} {now}
                    selection={(*selection).clone()} {on_pick} {on_pick_all} layout={(*layout).clone()} {on_resize} />
            }
            <p class="hint muted">{ "/ search · ↑ ↓ move · Enter open · ctrl-click or ☐ choose · shift-click range · Esc clear" }</p>
            </section>
            </div>
        </>
    }
}

/// "12 of 40 tenants", and how many cached ones are still loading while a snapshot arrives.
fn count_note(shown: usize, known: usize, arriving: usize) -> String {
    match arriving {
        0 => format!("{shown} of {known} tenants"),
        _ => format!("{shown} of {known} tenants, {arriving} more loading"),
    }
}
