//! The UI's state: one pure reducer per stream from the backend (testable without a browser),
//! and the context actions share.

use yew::Callback;

pub mod action;
pub mod action_form;
pub mod clusters;
pub mod columns;
pub mod editable;
pub mod fleet;
pub mod logs;
pub mod rollout_form;
pub mod rollout_view;
pub mod selection;
pub mod toast;

/// What pages share about actions: how many have ended (to re-read what they change) and the
/// callback that says one did.
#[derive(Clone, PartialEq)]
pub struct ActionsContext {
    /// Counts ended actions.
    pub generation: u32,
    /// Called when an action ends.
    pub ended: Callback<()>,
}
