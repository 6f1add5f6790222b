//! Health counts that double as a filter.

use std::collections::BTreeMap;

use tenantry_model::Health;
use yew::prelude::*;

/// Properties of [`HealthFilter`].
#[derive(Properties, PartialEq)]
pub struct HealthFilterProps {
    /// Tenants per health (after the search).
    pub counts: BTreeMap<Health, usize>,
    /// The health shown, or all.
    pub selected: Option<Health>,
    /// Picks a health (or all with `None`).
    pub on_select: Callback<Option<Health>>,
}

/// "All" and one chip per health that occurs, each with its count.
#[function_component(HealthFilter)]
pub fn health_filter(props: &HealthFilterProps) -> Html {
    let total: usize = props.counts.values().sum();
    let chip = |health: Option<Health>, count: usize| {
        let on_select = props.on_select.clone();
        let active = props.selected == health;
        let name = health.map_or("all", Health::name);
        let onclick = Callback::from(move |_: MouseEvent| on_select.emit(if active { None } else { health }));
        html! {
            <button class={classes!("chip", format!("chip-{name}"), active.then_some("active"))} {onclick} data-health={name}>
                <span class="dot"></span>{ name }<span class="chip-count">{ count }</span>
            </button>
        }
    };
    html! {
        <nav class="health-filter" aria-label="Filter by health">
            { chip(None, total) }
            { for props.counts.iter().map(|(health, count)| chip(Some(*health), *count)) }
        </nav>
    }
}
