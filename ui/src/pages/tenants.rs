//! The fleet view: search, health filter and the table of every tenant on every cluster.

use std::rc::Rc;

use tenantry_model::{Health, TenantSummary};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::{HealthFilter, Notice, SortKey, TenantTable};
use crate::state::fleet::{FleetState, health_counts, matches};

/// Properties of [`TenantsPage`].
#[derive(Properties, PartialEq)]
pub struct TenantsPageProps {
    /// The inventory.
    pub fleet: Rc<FleetState>,
}

/// Search box, health counts (click to filter) and the sortable, virtualised table.
#[function_component(TenantsPage)]
pub fn tenants_page(props: &TenantsPageProps) -> Html {
    let search = use_state(String::new);
    let health = use_state(|| None::<Health>);
    let sort = use_state(|| (SortKey::Tenant, true));
    let fleet = &props.fleet;
    let needle = search.to_lowercase();
    let rows = use_memo((props.fleet.clone(), needle.clone(), *health, *sort), |(fleet, needle, health, sort)| {
        let mut rows: Vec<TenantSummary> = fleet
            .tenants
            .values()
            .filter(|t| health.is_none_or(|h| t.health == h) && matches(t, needle))
            .cloned()
            .collect();
        sort.0.sort(&mut rows, sort.1);
        rows
    });
    let counts = health_counts(fleet.tenants.values().filter(|t| matches(t, &needle)));
    let on_search = {
        let search = search.clone();
        Callback::from(move |event: InputEvent| search.set(event.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_health = {
        let health = health.clone();
        Callback::from(move |picked: Option<Health>| health.set(picked))
    };
    let on_sort = {
        let sort = sort.clone();
        Callback::from(move |key: SortKey| sort.set((key, if sort.0 == key { !sort.1 } else { true })))
    };
    html! {
        <>
            if let Some(error) = fleet.error.clone() {
                <Notice {error} />
            }
            { for fleet.failures.iter().map(|(context, error)| html! {
                <Notice error={tenantry_model::UiError { message: format!("{context}: {}", error.message), ..error.clone() }} />
            }) }
            <div class="toolbar">
                <input id="tenant-search" class="search" type="search" value={(*search).clone()} oninput={on_search}
                       placeholder="Search tenants by name, customer or domain" aria-label="Search tenants" />
                <span class="muted count-note">{ format!("{} of {} tenants", rows.len(), fleet.tenants.len()) }</span>
            </div>
            <HealthFilter {counts} selected={*health} on_select={on_health} />
            if !fleet.loaded {
                <div class="empty" aria-busy="true"><p>{ "Connecting to the clusters…" }</p></div>
            } else if fleet.tenants.is_empty() && fleet.failures.is_empty() {
                <div class="empty">
                    <h2>{ "No tenants yet" }</h2>
                    <p>{ "No namespace on these clusters carries the tenantry.io/tenant label." }</p>
                </div>
            } else {
                <TenantTable {rows} sort={*sort} {on_sort} />
            }
        </>
    }
}
