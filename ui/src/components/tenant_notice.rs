//! A tenant's own notification setting, on its page: as its cluster, always ("watch this
//! tenant"), or never; saved at once.

use tenantry_model::TenantNotice;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::ipc;

/// Properties of [`TenantNoticeSelect`].
#[derive(Properties, PartialEq)]
pub struct TenantNoticeSelectProps {
    /// The tenant's cluster.
    pub cluster: String,
    /// The tenant.
    pub id: String,
}

/// A select of the three settings, showing the one in force.
#[function_component(TenantNoticeSelect)]
pub fn tenant_notice_select(props: &TenantNoticeSelectProps) -> Html {
    let notice = use_state(|| None::<TenantNotice>);
    {
        let (notice, cluster, id) = (notice.clone(), props.cluster.clone(), props.id.clone());
        use_effect_with((props.cluster.clone(), props.id.clone()), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(settings) = ipc::notification_settings().await {
                    notice.set(Some(settings.tenant(&cluster, &id)));
                }
            });
        });
    }
    let on_change = {
        let (notice, cluster, id) = (notice.clone(), props.cluster.clone(), props.id.clone());
        Callback::from(move |event: Event| {
            let Some(select) = event.target_dyn_into::<HtmlSelectElement>() else { return };
            let chosen = match select.value().as_str() {
                "watched" => TenantNotice::Watched,
                "muted" => TenantNotice::Muted,
                _ => TenantNotice::AsCluster,
            };
            let (notice, cluster, id) = (notice.clone(), cluster.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let Ok(mut settings) = ipc::notification_settings().await else { return };
                settings.set_tenant(&cluster, &id, chosen);
                if ipc::save_notification_settings(&settings).await.is_ok() {
                    notice.set(Some(chosen));
                }
            });
        })
    };
    let Some(current) = *notice else { return Html::default() };
    let option = |value: &'static str, label: &'static str, this: TenantNotice| {
        html! { <option {value} selected={current == this}>{ label }</option> }
    };
    html! {
        <label class="tenant-notice" title="Desktop notifications about this tenant">
            { "Notify" }
            <select id="tenant-notice" onchange={on_change}>
                { option("as_cluster", "as its cluster", TenantNotice::AsCluster) }
                { option("watched", "always (watch this tenant)", TenantNotice::Watched) }
                { option("muted", "never", TenantNotice::Muted) }
            </select>
        </label>
    }
}
