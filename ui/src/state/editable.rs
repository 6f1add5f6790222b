//! A form's fields as a reducer: each edit applies to the form as it is when the edit lands, so
//! two fields changed before the dialog renders again (type, Tab, type) both count. A state
//! handle captured at render time would write the second edit over a copy without the first.

use std::ops::Deref;
use std::rc::Rc;

use yew::Reducible;

/// The form `T` being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct Editable<T>(pub T);

/// One field set to `value` by `update`.
pub struct FieldEdit<T> {
    /// Writes the value into its field.
    pub update: fn(&mut T, String),
    /// What the field holds now.
    pub value: String,
}

impl<T: Clone> Reducible for Editable<T> {
    type Action = FieldEdit<T>;

    fn reduce(self: Rc<Self>, edit: FieldEdit<T>) -> Rc<Self> {
        let mut next = self.0.clone();
        (edit.update)(&mut next, edit.value);
        Rc::new(Self(next))
    }
}

impl<T> Deref for Editable<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Default, PartialEq)]
    struct Form {
        pods: String,
        reason: String,
    }

    #[test]
    fn two_edits_before_a_render_both_count() {
        let form = Rc::new(Editable(Form::default()));
        let form = form.reduce(FieldEdit { update: |f: &mut Form, v| f.pods = v, value: "3".into() });
        let form = form.reduce(FieldEdit { update: |f: &mut Form, v| f.reason = v, value: "TICKET-7".into() });
        assert_eq!(**form, Form { pods: "3".into(), reason: "TICKET-7".into() });
    }
}
