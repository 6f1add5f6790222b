//! The coloured health of one tenant.

use tenantry_model::Health;
use yew::prelude::*;

/// Machine-readable name of a health (CSS modifier and `data-health`).
pub fn health_name(health: Health) -> &'static str {
    match health {
        Health::Healthy => "healthy",
        Health::Suspended => "suspended",
        Health::Progressing => "progressing",
        Health::Degraded => "degraded",
        Health::Down => "down",
        Health::Unknown => "unknown",
    }
}

/// Properties of [`HealthBadge`].
#[derive(Properties, PartialEq)]
pub struct HealthBadgeProps {
    /// The health.
    pub health: Health,
}

/// A pill with a dot and the health's name.
#[function_component(HealthBadge)]
pub fn health_badge(props: &HealthBadgeProps) -> Html {
    let name = health_name(props.health);
    html! { <span class={classes!("badge", format!("health-{name}"))}><span class="dot"></span>{ name }</span> }
}
