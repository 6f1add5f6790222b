//! The actions of one tenant as buttons; an action the identity may not run, or that needs a
//! live cluster, is disabled with the reason on it.

use tenantry_model::{ActionAccess, ActionKind, Health, TenantSummary};
use yew::prelude::*;

use crate::components::action_dialog::title;
use crate::ipc;

/// Properties of [`ActionBar`].
#[derive(Properties, PartialEq)]
pub struct ActionBarProps {
    /// The tenant.
    pub tenant: TenantSummary,
    /// Opens the dialog of an action.
    pub on_action: Callback<ActionKind>,
}

/// Adopt (a tenant Tenantry did not create), Scale, Update, Restart, Suspend or Resume, Roll
/// back, Back up, Restore, Delete.
#[function_component(ActionBar)]
pub fn action_bar(props: &ActionBarProps) -> Html {
    let access = use_state(|| None::<Result<Vec<ActionAccess>, String>>);
    {
        let access = access.clone();
        let live = props.tenant.freshness.is_live();
        use_effect_with((props.tenant.cluster.clone(), props.tenant.id.clone(), live), move |(cluster, id, live)| {
            if *live {
                let (cluster, id) = (cluster.clone(), id.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    access.set(Some(ipc::action_access(&cluster, &id).await.map_err(|e| e.message)));
                });
            }
        });
    }
    let tenant = &props.tenant;
    let suspended = tenant.health == Health::Suspended;
    let foreign = tenant.blueprint.is_empty() && tenant.revision == 0;
    let kinds = [
        ActionKind::Adopt,
        ActionKind::Scale,
        ActionKind::Update,
        ActionKind::Restart,
        if suspended { ActionKind::Resume } else { ActionKind::Suspend },
        ActionKind::Rollback,
        ActionKind::Backup,
        ActionKind::Restore,
        ActionKind::Delete,
    ];
    let reason = |kind: ActionKind| -> Option<String> {
        if !tenant.freshness.is_live() {
            return Some("The cluster is not live; actions need it.".into());
        }
        let needs_spec = matches!(kind, ActionKind::Update | ActionKind::Rollback | ActionKind::Restore);
        if needs_spec && tenant.blueprint.is_empty() {
            let how = if foreign {
                "Tenantry did not create this tenant; adopt it with a blueprint first."
            } else {
                "it was adopted without one."
            };
            return Some(format!("Needs a blueprint: {how}"));
        }
        if kind == ActionKind::Rollback && tenant.revision < 2 {
            return Some("There is no earlier revision.".into());
        }
        match &*access {
            None => Some("Checking permissions…".into()),
            Some(Err(message)) => Some(message.clone()),
            Some(Ok(access)) => access
                .iter()
                .find(|a| a.action == kind && !a.missing.is_empty())
                .map(|a| format!("This identity may not {}.", a.missing.join(", "))),
        }
    };
    html! {
        <div class="action-bar" role="toolbar" aria-label="Actions">
            { for kinds.iter().filter(|kind| foreign || **kind != ActionKind::Adopt).map(|kind| {
                let kind = *kind;
                let reason = reason(kind);
                let on_action = props.on_action.clone();
                html! {
                    <button class={classes!("action", (kind == ActionKind::Delete).then_some("danger"))}
                            id={format!("action-{}", kind.name())} disabled={reason.is_some()}
                            title={reason.clone().unwrap_or_default()}
                            onclick={Callback::from(move |_: MouseEvent| on_action.emit(kind))}>
                        { title(kind) }
                    </button>
                }
            }) }
        </div>
    }
}
