//! The notification settings: desktop notifications on or off, which watched clusters they
//! speak of, and the tenants set one by one (always, or never), each of those reset with a click.

use tenantry_model::{NotificationSettings, TenantNotice, UiError};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::{FormError, Modal};
use crate::ipc;

/// Properties of [`NotificationsDialog`].
#[derive(Properties, PartialEq)]
pub struct NotificationsDialogProps {
    /// The clusters the fleet watches, by context name.
    pub clusters: Vec<String>,
    /// Closes the dialog.
    pub on_close: Callback<()>,
    /// Called once the settings are saved.
    pub on_saved: Callback<()>,
}

/// One change to the settings from a checkbox, given whether it is checked.
type Edit = std::rc::Rc<dyn Fn(&mut NotificationSettings, bool)>;

/// Loads the settings, edits them in place, and saves them on Save.
#[function_component(NotificationsDialog)]
pub fn notifications_dialog(props: &NotificationsDialogProps) -> Html {
    let settings = use_state(|| None::<NotificationSettings>);
    let error = use_state(|| None::<UiError>);
    {
        let (settings, error) = (settings.clone(), error.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::notification_settings().await {
                    Ok(loaded) => settings.set(Some(loaded)),
                    Err(failed) => error.set(Some(failed)),
                }
            });
        });
    }
    let change = |update: Edit| {
        let settings = settings.clone();
        Callback::from(move |event: Event| {
            let on = event.target_dyn_into::<HtmlInputElement>().is_some_and(|input| input.checked());
            if let Some(mut next) = (*settings).clone() {
                update(&mut next, on);
                settings.set(Some(next));
            }
        })
    };
    let save = {
        let (settings, error, on_saved) = (settings.clone(), error.clone(), props.on_saved.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(chosen) = (*settings).clone() else { return };
            let (error, on_saved) = (error.clone(), on_saved.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::save_notification_settings(&chosen).await {
                    Ok(()) => on_saved.emit(()),
                    Err(failed) => error.set(Some(failed)),
                }
            });
        })
    };
    let body = match &*settings {
        None => html! { <p class="muted" aria-busy="true">{ "Reading the settings…" }</p> },
        Some(current) => {
            let enabled = change(std::rc::Rc::new(|s: &mut NotificationSettings, on| s.enabled = on));
            let cluster_rows = props.clusters.iter().map(|cluster| {
                let name = cluster.clone();
                let toggle = change(std::rc::Rc::new(move |s: &mut NotificationSettings, on| {
                    if on {
                        s.muted_clusters.remove(&name);
                    } else {
                        s.muted_clusters.insert(name.clone());
                    }
                }));
                html! {
                    <li>
                        <label class="check">
                            <input type="checkbox" class="notify-cluster" data-cluster={cluster.clone()} checked={!current.muted_clusters.contains(cluster)} onchange={toggle} disabled={!current.enabled} />
                            { cluster }
                        </label>
                    </li>
                }
            });
            let one_by_one: Vec<(String, TenantNotice)> = current
                .watched_tenants
                .iter()
                .map(|key| (key.clone(), TenantNotice::Watched))
                .chain(current.muted_tenants.iter().map(|key| (key.clone(), TenantNotice::Muted)))
                .collect();
            let tenant_rows = one_by_one.into_iter().map(|(key, notice)| {
                let reset = {
                    let (settings, key) = (settings.clone(), key.clone());
                    Callback::from(move |_: MouseEvent| {
                        if let Some(mut next) = (*settings).clone()
                            && let Some((cluster, id)) = key.split_once('/')
                        {
                            next.set_tenant(cluster, id, TenantNotice::AsCluster);
                            settings.set(Some(next));
                        }
                    })
                };
                let said = if notice == TenantNotice::Watched { "always told" } else { "never told" };
                html! {
                    <li class="notify-tenant">
                        <code>{ &key }</code><span class={classes!("tag", if notice == TenantNotice::Muted { "tag-muted" } else { "tag-watched" })}>{ said }</span>
                        <button class="secondary small" onclick={reset}>{ "As its cluster" }</button>
                    </li>
                }
            });
            html! {
                <>
                    <label class="check notify-enabled">
                        <input type="checkbox" id="notify-enabled" checked={current.enabled} onchange={enabled} />
                        { "Show desktop notifications when a tenant turns Down or Degraded and stays so, when it recovers, and when a cluster goes away or comes back" }
                    </label>
                    <h3>{ "Clusters" }</h3>
                    if props.clusters.is_empty() {
                        <p class="muted">{ "No cluster is watched." }</p>
                    } else {
                        <ul class="notify-clusters">{ for cluster_rows }</ul>
                    }
                    <h3>{ "Tenants set one by one" }</h3>
                    if current.watched_tenants.is_empty() && current.muted_tenants.is_empty() {
                        <p class="muted">{ "None. A tenant's own page sets it to always or never." }</p>
                    } else {
                        <ul class="notify-tenants">{ for tenant_rows }</ul>
                    }
                </>
            }
        }
    };
    html! {
        <Modal id="notifications-dialog" title={html! { "Notifications" }}
            explanation="A change is told once it has held for 30 seconds; a tenant flapping is not told each time, and a cluster going away is one notice."
            buttons={html! { <>
                <button class="secondary" onclick={props.on_close.reform(|_: MouseEvent| ())}>{ "Cancel" }</button>
                <button class="primary" id="notify-save" onclick={save} disabled={settings.is_none()}>{ "Save" }</button>
            </> }}>
            { body }
            if let Some(problem) = &*error {
                <FormError error={problem.clone()} />
            }
        </Modal>
    }
}
