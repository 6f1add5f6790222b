//! The frame every dialog shares: a backdrop, a head with the title and what the dialog does, a
//! body, and a footer of buttons.

use yew::prelude::*;

/// Properties of [`Modal`].
#[derive(Properties, PartialEq)]
pub struct ModalProps {
    /// The dialog's element id (its title's is this with `-title`).
    pub id: AttrValue,
    /// The title.
    pub title: Html,
    /// What the dialog does, in a sentence or two under the title.
    pub explanation: AttrValue,
    /// Classes the dialog adds to `modal` (`modal-wide`, `sign-in`).
    #[prop_or_default]
    pub class: Classes,
    /// The footer's buttons.
    pub buttons: Html,
    /// The body.
    #[prop_or_default]
    pub children: Html,
}

/// A modal dialog over a dimmed backdrop, labelled by its title.
#[function_component(Modal)]
pub fn modal(props: &ModalProps) -> Html {
    let title_id = format!("{}-title", props.id);
    html! {
        <div class="modal-backdrop">
            <div class={classes!("modal", props.class.clone())} role="dialog" aria-modal="true" aria-labelledby={title_id.clone()} id={props.id.clone()}>
                <header class="modal-head">
                    <h2 id={title_id}>{ props.title.clone() }</h2>
                    <p class="muted">{ &props.explanation }</p>
                </header>
                <div class="modal-body">{ props.children.clone() }</div>
                <footer class="modal-foot">{ props.buttons.clone() }</footer>
            </div>
        </div>
    }
}
