//! "Bundle for an engineer": writes the tenant's escalation bundle, then says where it went,
//! what is not in it, and opens its folder on request.

use tenantry_model::{BundleReport, UiError};
use yew::prelude::*;

use crate::components::Notice;
use crate::ipc;

/// Properties of [`BundleButton`].
#[derive(Properties, PartialEq)]
pub struct BundleButtonProps {
    /// The tenant's cluster.
    pub cluster: String,
    /// The tenant.
    pub id: String,
}

/// Where the bundle stands.
#[derive(Clone, PartialEq)]
enum Written {
    Idle,
    Writing,
    Done(BundleReport),
    Failed(UiError),
}

/// The button and, once written, the bundle's report.
#[function_component(BundleButton)]
pub fn bundle_button(props: &BundleButtonProps) -> Html {
    let written = use_state(|| Written::Idle);
    let write = {
        let (written, cluster, id) = (written.clone(), props.cluster.clone(), props.id.clone());
        Callback::from(move |_: MouseEvent| {
            written.set(Written::Writing);
            let (written, cluster, id) = (written.clone(), cluster.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                written.set(match ipc::write_bundle(&cluster, &id).await {
                    Ok(report) => Written::Done(report),
                    Err(error) => Written::Failed(error),
                });
            });
        })
    };
    let close = {
        let written = written.clone();
        Callback::from(move |_: MouseEvent| written.set(Written::Idle))
    };
    html! {
        <>
            <button id="write-bundle" class="bundle-button" onclick={write} disabled={*written == Written::Writing}
                title="One archive for an engineer: spec and history, objects, events, logs, timeline, audit — no secret values">
                { if *written == Written::Writing { "Writing the bundle…" } else { "Bundle for an engineer" } }
            </button>
            { match &*written {
                Written::Done(report) => {
                    let path = report.path.clone();
                    let open = Callback::from(move |_: MouseEvent| {
                        let path = path.clone();
                        wasm_bindgen_futures::spawn_local(async move { let _ = ipc::open_export_folder(&path).await; });
                    });
                    html! {
                        <div class="bundle-report" role="status">
                            <p>{ format!("Bundle written ({} files): ", report.files.len()) }<code class="bundle-path">{ &report.path }</code></p>
                            if !report.unreadable.is_empty() {
                                <p class="muted">{ format!("Not included: {}", report.unreadable.join("; ")) }</p>
                            }
                            <div class="bundle-actions">
                                <button class="small" onclick={open}>{ "Open folder" }</button>
                                <button class="small" onclick={close}>{ "Close" }</button>
                            </div>
                        </div>
                    }
                }
                Written::Failed(error) => html! { <Notice error={error.clone()} /> },
                Written::Idle | Written::Writing => html! {},
            } }
        </>
    }
}
