//! Short messages at the window's corner when something ends (an action, an export), shared
//! through a context so that any page can raise one.

use std::rc::Rc;

use yew::Reducible;

/// How a toast looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// It went well.
    Good,
    /// It did not.
    Bad,
}

/// One message.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    /// Its number, to dismiss it.
    pub id: u32,
    /// Good or bad.
    pub tone: Tone,
    /// The sentence shown.
    pub message: String,
    /// When it was raised (ms since the epoch).
    pub at: f64,
}

/// The toasts shown, newest last.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Toasts {
    /// The messages.
    pub shown: Vec<Toast>,
    next: u32,
}

/// Everything that changes [`Toasts`].
#[derive(Debug, Clone, PartialEq)]
pub enum ToastAction {
    /// Show a message (tone, text, now).
    Raise(Tone, String, f64),
    /// Remove a message.
    Dismiss(u32),
}

/// Toasts kept at most.
const KEPT: usize = 4;

impl Reducible for Toasts {
    type Action = ToastAction;

    fn reduce(self: Rc<Self>, action: ToastAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ToastAction::Raise(tone, message, at) => {
                next.shown.push(Toast { id: next.next, tone, message, at });
                next.next += 1;
                let excess = next.shown.len().saturating_sub(KEPT);
                next.shown.drain(..excess);
            }
            ToastAction::Dismiss(id) => next.shown.retain(|t| t.id != id),
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toasts_are_raised_capped_and_dismissed() {
        let mut toasts = Rc::new(Toasts::default());
        for n in 0..6 {
            toasts = toasts.reduce(ToastAction::Raise(Tone::Good, format!("m{n}"), 0.0));
        }
        let messages: Vec<&str> = toasts.shown.iter().map(|t| t.message.as_str()).collect();
        assert_eq!(messages, ["m2", "m3", "m4", "m5"]);
        let toasts = toasts.reduce(ToastAction::Dismiss(3));
        assert_eq!(toasts.shown.iter().map(|t| t.id).collect::<Vec<_>>(), [2, 4, 5]);
    }
}
