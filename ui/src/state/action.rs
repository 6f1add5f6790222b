//! One action as the dialog follows it: previewing, running step by step with the rollout, and
//! how it ended; kept by one pure reducer over the action's events.

use std::rc::Rc;

use tenantry_model::{ActionEvent, Outcome, Preview, Step, UiError};
use yew::Reducible;

/// Where the action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// The form is being filled in.
    #[default]
    Editing,
    /// The dry run is under way.
    Previewing,
    /// The preview is shown; waiting for the user to apply.
    Previewed,
    /// Applying and waiting.
    Running,
    /// It ended (see the outcome).
    Ended,
}

/// How far one step got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Not reached.
    Pending,
    /// Under way.
    Running,
    /// Done.
    Done,
}

/// Everything the action dialog shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActionFlow {
    /// Where it stands.
    pub phase: Phase,
    /// The server's dry run.
    pub preview: Option<Preview>,
    /// Each step and how far it got, in order (empty until the action runs).
    pub steps: Vec<(Step, StepState)>,
    /// The rollout: pods ready, on the new template, wanted.
    pub rollout: Option<(i32, i32, i32)>,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// A failure of the preview or of the call itself.
    pub error: Option<UiError>,
}

/// Everything that changes [`ActionFlow`].
#[derive(Debug, Clone, PartialEq)]
pub enum FlowAction {
    /// The form changed: back to editing.
    Edit,
    /// The preview was asked for.
    Previewing,
    /// The preview arrived.
    Previewed(Preview),
    /// Apply was clicked.
    Running,
    /// A progress event of the running action.
    Event(ActionEvent),
    /// The preview or the call failed.
    Failed(UiError),
}

impl Reducible for ActionFlow {
    type Action = FlowAction;

    fn reduce(self: Rc<Self>, action: FlowAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FlowAction::Edit => next = ActionFlow::default(),
            FlowAction::Previewing => {
                next = ActionFlow { phase: Phase::Previewing, ..ActionFlow::default() };
            }
            FlowAction::Previewed(preview) => {
                next.phase = Phase::Previewed;
                next.preview = Some(preview);
            }
            FlowAction::Running => {
                next.phase = Phase::Running;
                next.error = None;
                next.steps = Step::ALL.iter().map(|step| (*step, StepState::Pending)).collect();
            }
            FlowAction::Event(event) => next.apply(event),
            FlowAction::Failed(error) => {
                next.phase = if next.phase == Phase::Previewing { Phase::Editing } else { Phase::Ended };
                next.error = Some(error);
            }
        }
        Rc::new(next)
    }
}

impl ActionFlow {
    fn apply(&mut self, event: ActionEvent) {
        let mut mark = |step: Step, state: StepState| {
            if let Some(entry) = self.steps.iter_mut().find(|(s, _)| *s == step) {
                entry.1 = state;
            }
        };
        match event {
            ActionEvent::Started { step } => mark(step, StepState::Running),
            ActionEvent::Finished { step } => mark(step, StepState::Done),
            ActionEvent::Planned { preview } => self.preview = Some(preview),
            ActionEvent::Rollout { ready, updated, desired } => self.rollout = Some((ready, updated, desired)),
            ActionEvent::Ended { outcome } => {
                self.phase = Phase::Ended;
                self.outcome = Some(outcome);
            }
        }
    }

    /// How far the action got, from 0 to 1: each finished step counts one part; while waiting
    /// for the rollout, its share of ready pods counts within that step.
    pub fn progress(&self) -> f64 {
        if self.phase == Phase::Ended {
            return 1.0;
        }
        let parts = self.steps.len().max(1) as f64;
        let done = self.steps.iter().filter(|(_, state)| *state == StepState::Done).count() as f64;
        let converging = self.steps.iter().any(|(step, state)| *step == Step::Converge && *state == StepState::Running);
        let within = match self.rollout {
            Some((ready, _, desired)) if converging && desired > 0 => {
                f64::from(ready.min(desired)) / f64::from(desired)
            }
            _ => 0.0,
        };
        (done + within) / parts
    }
}

#[cfg(test)]
mod tests {
    use tenantry_model::ActionResult;

    use super::*;

    fn reduce(flow: ActionFlow, action: FlowAction) -> ActionFlow {
        (*Rc::new(flow).reduce(action)).clone()
    }

    #[test]
    fn progress_follows_the_steps_and_the_rollout() {
        let mut flow = reduce(ActionFlow::default(), FlowAction::Running);
        assert_eq!(flow.progress(), 0.0);
        for step in &Step::ALL[..5] {
            flow = reduce(flow, FlowAction::Event(ActionEvent::Started { step: *step }));
            flow = reduce(flow, FlowAction::Event(ActionEvent::Finished { step: *step }));
        }
        assert!((flow.progress() - 5.0 / 7.0).abs() < 1e-9);
        flow = reduce(flow, FlowAction::Event(ActionEvent::Started { step: Step::Converge }));
        flow = reduce(flow, FlowAction::Event(ActionEvent::Rollout { ready: 1, updated: 2, desired: 2 }));
        assert!((flow.progress() - 5.5 / 7.0).abs() < 1e-9);
        assert_eq!(flow.steps[5], (Step::Converge, StepState::Running));
        let outcome =
            Outcome { result: ActionResult::Succeeded, message: "done".into(), journal_id: 3, duration_ms: 10 };
        flow = reduce(flow, FlowAction::Event(ActionEvent::Ended { outcome: outcome.clone() }));
        assert_eq!((flow.phase, flow.progress(), flow.outcome.clone()), (Phase::Ended, 1.0, Some(outcome)));
    }

    #[test]
    fn a_failed_preview_returns_to_the_form_and_editing_clears_everything() {
        let error = UiError { kind: tenantry_model::ErrorKind::Forbidden, message: "no".into(), detail: String::new() };
        let flow = reduce(reduce(ActionFlow::default(), FlowAction::Previewing), FlowAction::Failed(error.clone()));
        assert_eq!((flow.phase, flow.error.clone()), (Phase::Editing, Some(error)));
        let preview = Preview { revision_before: 1, revision_after: 2, objects: vec![], notes: vec![] };
        let flow = reduce(flow, FlowAction::Previewed(preview));
        assert_eq!(flow.phase, Phase::Previewed);
        assert_eq!(reduce(flow, FlowAction::Edit), ActionFlow::default());
    }
}
