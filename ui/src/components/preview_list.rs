//! The server's dry run of an action: each object with what happens to it and the fields that
//! change; unchanged objects folded into one line.

use tenantry_model::{Operation, Preview};
use yew::prelude::*;

/// Properties of [`PreviewList`].
#[derive(Properties, PartialEq)]
pub struct PreviewListProps {
    /// The preview.
    pub preview: Preview,
}

/// Created, changed, removed and kept objects, then the unchanged ones and the notes.
#[function_component(PreviewList)]
pub fn preview_list(props: &PreviewListProps) -> Html {
    let preview = &props.preview;
    let unchanged: Vec<String> = preview
        .objects
        .iter()
        .filter(|o| o.operation == Operation::Unchanged)
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect();
    let shown = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".into());
    html! {
        <div class="preview" id="action-preview">
            <p class="preview-head">
                { if preview.changes_anything() { "The server's dry run says this will change:" } else { "Nothing changes; applying only waits until the tenant runs as asked." } }
                if preview.revision_after != preview.revision_before {
                    <span class="muted">{ format!(" revision {} → {}", preview.revision_before, preview.revision_after) }</span>
                }
            </p>
            <ul class="preview-objects">
                { for preview.objects.iter().filter(|o| o.operation != Operation::Unchanged).map(|object| {
                    let (class, label) = match object.operation {
                        Operation::Create => ("op-create", "create"),
                        Operation::Update if !object.drift.is_empty() => ("op-drift", "take back"),
                        Operation::Update => ("op-update", "change"),
                        Operation::Delete => ("op-delete", "remove"),
                        Operation::Kept => ("op-kept", "kept"),
                        Operation::Unchanged => ("op-kept", "unchanged"),
                    };
                    html! {
                        <li class="preview-object">
                            <span class={classes!("op", class)}>{ label }</span>
                            <strong>{ &object.kind }</strong>{ " " }<code>{ &object.name }</code>
                            { for object.drift.iter().map(|d| html! {
                                <p class="drift">{ format!("{} changed by {}{}", if d.path.is_empty() { "fields" } else { d.path.as_str() }, d.manager,
                                    d.at.as_deref().map(|at| format!(" at {at}")).unwrap_or_default()) }</p>
                            }) }
                            if !object.fields.is_empty() {
                                <ul class="fields-changed">
                                    { for object.fields.iter().map(|f| html! {
                                        <li><code>{ &f.path }</code>{ ": " }<span class="before">{ shown(&f.before) }</span>{ " → " }<span class="after">{ shown(&f.after) }</span></li>
                                    }) }
                                </ul>
                            }
                        </li>
                    }
                }) }
            </ul>
            if !unchanged.is_empty() {
                <p class="muted unchanged">{ format!("Unchanged: {}", unchanged.join(", ")) }</p>
            }
            { for preview.notes.iter().map(|note| html! { <p class="hint">{ note }</p> }) }
        </div>
    }
}
