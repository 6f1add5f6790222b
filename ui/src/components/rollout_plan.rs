//! A planned rollout before it runs: what changes for how many tenants (the renders compared
//! here, one tenant per group dry-run by the server), the tenants left out and why, the waves.

use std::collections::BTreeMap;

use tenantry_model::{RolloutPlan, TenantState};
use yew::prelude::*;

/// Tenants named per skip reason; more are counted.
const NAMED: usize = 6;

/// Properties of [`PlanSummary`].
#[derive(Properties, PartialEq)]
pub struct PlanSummaryProps {
    /// The plan.
    pub plan: RolloutPlan,
}

/// The groups of changes, the skipped tenants by reason and the waves of a plan.
#[function_component(PlanSummary)]
pub fn plan_summary(props: &PlanSummaryProps) -> Html {
    let rollout = &props.plan.rollout;
    let running: usize = props.plan.groups.iter().map(|g| g.tenants).sum();
    let mut skipped: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for tenant in rollout.tenants.iter().filter(|t| t.state == TenantState::Skipped) {
        skipped.entry(tenant.message.as_str()).or_default().push(format!("{}/{}", tenant.context, tenant.tenant));
    }
    let waiting = rollout.count(TenantState::Waiting);
    let waves = rollout.waves();
    let later: Vec<usize> = (1..waves)
        .map(|w| rollout.tenants.iter().filter(|t| t.wave == w && t.state == TenantState::Queued).count())
        .collect();
    let canary: Vec<String> = rollout
        .tenants
        .iter()
        .filter(|t| t.wave == 0 && t.state == TenantState::Queued)
        .map(|t| format!("{}/{}", t.context, t.tenant))
        .collect();
    let canary = if canary.len() <= NAMED {
        format!("{} ({})", canary.len(), canary.join(", "))
    } else {
        format!("{} ({} and {} more)", canary.len(), canary[..NAMED].join(", "), canary.len() - NAMED)
    };
    let settings = &rollout.settings;
    html! {
        <div class="rollout-plan" id="rollout-plan">
            <p class="plan-headline"><strong>{ format!("#{} {}: ", rollout.id, rollout.title) }</strong>{ format!("{running} tenants change") }
                { format!(" · {} skipped", rollout.count(TenantState::Skipped)) }
                if waiting > 0 { { format!(" · {waiting} wait for their cluster") } }</p>
            <ul class="plan-groups">
                { for props.plan.groups.iter().map(|group| html! {
                    <li class="plan-group">
                        <div><strong>{ format!("{} tenants", group.tenants) }</strong>
                            <span class="muted">{ format!(" — e.g. {}", group.examples.join(", ")) }</span></div>
                        <ul class="plan-changes">{ for group.changes.iter().map(|c| html! { <li><code>{ c }</code></li> }) }</ul>
                        <div class={classes!("dry-run", group.dry_run.contains("refused").then_some("refused"))}>{ &group.dry_run }</div>
                    </li>
                }) }
            </ul>
            if !skipped.is_empty() {
                <details class="plan-skipped" open={skipped.len() <= 3}>
                    <summary>{ format!("Skipped: {}", rollout.count(TenantState::Skipped)) }</summary>
                    <ul>{ for skipped.iter().map(|(why, tenants)| html! {
                        <li><strong>{ format!("{} — ", tenants.len()) }</strong>{ *why }
                            <div class="muted">{ tenants.iter().take(NAMED).cloned().collect::<Vec<_>>().join(", ") }
                                { if tenants.len() > NAMED { format!(" and {} more", tenants.len() - NAMED) } else { String::new() } }</div></li>
                    }) }</ul>
                </details>
            }
            <p class="plan-waves muted" id="plan-waves">
                { format!("Canary {canary}, then {} waves ({}); {} at once per cluster; each wave holds {} s healthy; stops after more than {} failures or {} %.",
                    later.len(), later.iter().map(ToString::to_string).collect::<Vec<_>>().join(" + "),
                    settings.per_cluster, settings.hold_seconds, settings.max_failures, settings.max_failure_percent) }
            </p>
        </div>
    }
}
