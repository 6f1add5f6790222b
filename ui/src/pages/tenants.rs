//! The fleet view: clusters, search, health filter and the table of every tenant on every cluster.

use std::collections::BTreeMap;

use tenantry_model::{Health, TenantSummary};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::{ClusterNav, HealthFilter, Notice, SortKey, TenantTable};
use crate::hooks::use_search_keys;
use crate::pages::tenant_detail::TenantDetailPage;
use crate::state::fleet::{FleetState, Link, health_counts, matches};

/// Properties of [`TenantsPage`].
#[derive(Properties, PartialEq)]
pub struct TenantsPageProps {
    /// The inventory (the reducer's handle: passing it copies nothing).
    pub fleet: UseReducerHandle<FleetState>,
}

/// Clusters with their state (click to filter), search box, health counts (click to filter) and
/// the sortable, virtualised table.
#[function_component(TenantsPage)]
pub fn tenants_page(props: &TenantsPageProps) -> Html {
    let search = use_state(String::new);
    let opened = use_state(|| None::<(String, String)>);
    let cluster = use_state(|| None::<String>);
    let health = use_state(|| None::<Health>);
    let sort = use_state(|| (SortKey::Tenant, true));
    let fleet = &props.fleet;
    let needle = search.to_lowercase();
    let filters = (needle.clone(), (*cluster).clone(), *health, *sort);
    let rows = use_memo((props.fleet.clone(), filters), |(fleet, (needle, cluster, health, sort))| {
        let mut rows: Vec<TenantSummary> = fleet
            .tenants
            .values()
            .filter(|t| cluster.as_ref().is_none_or(|c| &t.cluster == c))
            .filter(|t| health.is_none_or(|h| t.health == h) && matches(t, needle))
            .cloned()
            .collect();
        sort.0.sort(&mut rows, sort.1);
        rows
    });
    let searched: Vec<&TenantSummary> = fleet.tenants.values().filter(|t| matches(t, &needle)).collect();
    let mut per_cluster: BTreeMap<String, usize> = BTreeMap::new();
    for tenant in &searched {
        *per_cluster.entry(tenant.cluster.clone()).or_insert(0) += 1;
    }
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
    let on_sort = {
        let sort = sort.clone();
        Callback::from(move |key: SortKey| sort.set((key, if sort.0 == key { !sort.1 } else { true })))
    };
    if let Some((cluster, id)) = (*opened).clone() {
        let opened = opened.clone();
        return html! { <TenantDetailPage {cluster} {id} on_back={Callback::from(move |()| opened.set(None))} /> };
    }
    let on_open = {
        let opened = opened.clone();
        Callback::from(move |key: (String, String)| opened.set(Some(key)))
    };
    html! {
        <>
            if let Some(error) = fleet.error.clone() {
                <Notice {error} />
            }
            { for fleet.clusters.iter().filter_map(|(context, link)| match link {
                Link::Failed(error) => Some(html! {
                    <Notice error={tenantry_model::UiError { message: format!("{context}: {}", error.message), ..error.clone() }} />
                }),
                _ => None,
            }) }
            <div class="fleet">
            <ClusterNav clusters={fleet.clusters.clone()} counts={per_cluster} selected={(*cluster).clone()} on_select={on_cluster} />
            <section class="fleet-main">
            <div class="toolbar">
                <input id="tenant-search" class="search" type="search" value={(*search).clone()} oninput={on_search}
                       ref={search_box} placeholder="Search by name, customer or domain   ( / )" aria-label="Search tenants" />
                <span class="muted count-note">{ format!("{} of {} tenants", rows.len(), fleet.tenants.len()) }</span>
            </div>
            <HealthFilter {counts} selected={*health} on_select={on_health} />
            if !fleet.loaded {
                <div class="empty" aria-busy="true"><p>{ "Connecting to the clusters…" }</p></div>
            } else if fleet.tenants.is_empty() && fleet.clusters.values().all(|l| *l == Link::Live) {
                <div class="empty">
                    <h2>{ "No tenants yet" }</h2>
                    <p>{ "No namespace on these clusters carries the tenantry.io/tenant label." }</p>
                </div>
            } else {
                <TenantTable {rows} sort={*sort} {on_sort} {on_open} />
            }
            </section>
            </div>
        </>
    }
}
