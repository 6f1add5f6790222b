//! The coloured health of one tenant.

use tenantry_model::Health;
use yew::prelude::*;

/// Properties of [`HealthBadge`].
#[derive(Properties, PartialEq)]
pub struct HealthBadgeProps {
    /// The health.
    pub health: Health,
}

/// A pill with a dot and the health's name.
#[function_component(HealthBadge)]
pub fn health_badge(props: &HealthBadgeProps) -> Html {
    let name = props.health.name();
    html! { <span class={classes!("badge", format!("health-{name}"))}><span class="dot"></span>{ name }</span> }
}
