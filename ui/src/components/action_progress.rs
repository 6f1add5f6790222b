//! A running action: one progress bar, each step with its state, and the rollout's pods.

use yew::prelude::*;

use crate::state::action::{ActionFlow, StepState};

/// Properties of [`ActionProgress`].
#[derive(Properties, PartialEq)]
pub struct ActionProgressProps {
    /// The action as followed so far.
    pub flow: ActionFlow,
}

/// The bar (a native `<progress>`: the CSP forbids inline widths), then the steps.
#[function_component(ActionProgress)]
pub fn action_progress(props: &ActionProgressProps) -> Html {
    let flow = &props.flow;
    let percent = (flow.progress() * 100.0).round();
    html! {
        <div class="action-progress">
            <progress id="action-progress-bar" max="100" value={percent.to_string()} aria-label="Progress"></progress>
            <ol class="steps">
                { for flow.steps.iter().map(|(step, state)| {
                    let class = match state {
                        StepState::Pending => "step-pending",
                        StepState::Running => "step-running",
                        StepState::Done => "step-done",
                    };
                    let rollout = match (step, flow.rollout) {
                        (tenantry_model::Step::Converge, Some((ready, updated, desired))) if *state != StepState::Pending => {
                            format!(" — {ready} of {desired} pods ready, {updated} updated")
                        }
                        _ => String::new(),
                    };
                    html! { <li class={classes!("step", class)}>{ step.title() }<span class="muted">{ rollout }</span></li> }
                }) }
            </ol>
        </div>
    }
}
