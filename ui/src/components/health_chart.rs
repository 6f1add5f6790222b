//! A strip showing a tenant's health over the last day, one coloured band per period.

use tenantry_model::HealthTransition;
use yew::prelude::*;

/// The span the chart covers, in ms.
const SPAN_MS: f64 = 24.0 * 3600.0 * 1000.0;
/// Width of the drawing in SVG units (it scales to the page).
const WIDTH: f64 = 1000.0;

/// Properties of [`HealthChart`].
#[derive(Properties, PartialEq)]
pub struct HealthChartProps {
    /// Health changes, oldest first.
    pub history: Vec<HealthTransition>,
    /// Now, in ms since the epoch.
    pub now: f64,
}

/// Bands for the last 24 hours (grey before the first known health), with the changes listed
/// underneath.
#[function_component(HealthChart)]
pub fn health_chart(props: &HealthChartProps) -> Html {
    let start = props.now - SPAN_MS;
    let x = |ms: f64| ((ms - start) / SPAN_MS * WIDTH).clamp(0.0, WIDTH);
    let times: Vec<f64> = props.history.iter().map(|h| js_sys::Date::parse(&h.at)).collect();
    let bands = props.history.iter().enumerate().filter_map(|(i, change)| {
        let from = x(times[i]);
        // The current health always shows, however recent its start.
        let to = times.get(i + 1).map_or(WIDTH, |next| x(*next));
        let from = if i + 1 == times.len() { from.min(WIDTH - 8.0) } else { from };
        (to > from).then(|| {
            let class = format!("band band-{}", change.health.name());
            html! { <rect {class} x={from.to_string()} y="0" width={(to - from).to_string()} height="24"><title>{ format!("{}: {}", change.health.name(), change.reason) }</title></rect> }
        })
    });
    let recent: Vec<&HealthTransition> = props.history.iter().rev().take(5).collect();
    html! {
        <div class="health-chart">
            <svg viewBox={format!("0 0 {WIDTH} 24")} preserveAspectRatio="none" role="img" aria-label="Health over the last 24 hours">
                <rect class="band band-none" x="0" y="0" width={WIDTH.to_string()} height="24" />
                { for bands }
            </svg>
            <div class="chart-axis muted"><span>{ "24 h ago" }</span><span>{ "now" }</span></div>
            if props.history.is_empty() {
                <p class="muted">{ "No health changes recorded yet." }</p>
            } else {
                <ul class="changes">
                    { for recent.into_iter().map(|change| html! {
                        <li><span class={classes!("badge", format!("health-{}", change.health.name()))}><span class="dot"></span>{ change.health.name() }</span>
                            <span class="muted">{ format!(" since {} · {}", crate::hooks::ago(&change.at, props.now), change.reason) }</span></li>
                    }) }
                </ul>
            }
        </div>
    }
}
