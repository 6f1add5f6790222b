//! The root component: starts the backend streams once and switches between the views.

use yew::prelude::*;

use crate::components::{ToastStack, TopBar};
use crate::ipc;
use crate::pages::{AuditPage, ClustersPage, RolloutsPage, TenancyPage, TenantsPage};
use crate::state::ActionsContext;
use crate::state::clusters::{Action, ClustersState};
use crate::state::fleet::{FleetAction, FleetState};
use crate::state::toast::Toasts;

/// The views of the window (remembered by the backend with the window's size and place).
pub use tenantry_model::View;

/// The whole window. Both streams live here, so switching views never restarts them.
#[function_component(App)]
pub fn app() -> Html {
    let view = use_state(View::default);
    let rollout = use_state(|| None::<i64>);
    let clusters = use_reducer(ClustersState::default);
    let fleet = use_reducer(FleetState::default);
    let generation = use_state(|| 0_u32);
    let toasts = use_reducer(Toasts::default);
    let actions_ended = use_state(|| 0_u32);
    let actions = ActionsContext {
        generation: *actions_ended,
        ended: {
            let actions_ended = actions_ended.clone();
            Callback::from(move |()| actions_ended.set(*actions_ended + 1))
        },
    };
    // Timing marks for the benchmarks: the cached rows on screen, then every watched cluster
    // settled (live, or known unreachable or unauthorized) on screen.
    {
        let cached = fleet.loaded && !fleet.tenants.is_empty();
        let settled = !fleet.clusters.is_empty()
            && fleet.clusters.values().all(|status| status.state != tenantry_model::ConnectionState::Connecting);
        use_effect_with((cached, settled), |(cached, settled)| {
            let names: Vec<&'static str> =
                [(*cached, "cached rows on screen"), (*settled, "clusters settled on screen")]
                    .into_iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, name)| name)
                    .collect();
            wasm_bindgen_futures::spawn_local(async move {
                for name in names {
                    let _ = ipc::mark(name).await;
                }
            });
        });
    }
    // The user's groups of clusters, for the fleet's group filter.
    let groups = use_memo(clusters.rows.clone(), |rows| {
        let mut groups: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
        for row in rows {
            for group in &row.groups {
                groups.entry(group.clone()).or_default().insert(row.context.clone());
            }
        }
        groups
    });
    // A tenant chosen in the tray menu opens on the Tenants view (numbered, so the same one twice opens twice).
    let open_request = use_state(|| None::<(String, String, u32)>);
    {
        let (open_request, view) = (open_request.clone(), view.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let asked = std::cell::Cell::new(0_u32);
                let _ = ipc::watch_open_requests(move |event| {
                    if let Ok((cluster, id)) = event {
                        asked.set(asked.get() + 1);
                        open_request.set(Some((cluster, id, asked.get())));
                        view.set(View::Tenants);
                    }
                })
                .await;
            });
        });
    }
    // An edited kubeconfig reloads the cluster list, as Refresh does.
    let reloads = use_state(|| 0_u64);
    {
        let reloads = reloads.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = ipc::watch_kubeconfig(move |event| {
                    if let Ok(count) = event {
                        reloads.set(count);
                    }
                })
                .await;
            });
        });
    }
    // The fleet's stream is asked for first: its cached rows are what the window opens on.
    {
        let fleet = fleet.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let events = fleet.clone();
                let outcome = ipc::watch_tenants(move |event| match event {
                    Ok(event) => events.dispatch(FleetAction::Event(event)),
                    Err(error) => events.dispatch(FleetAction::Failed(error)),
                })
                .await;
                if let Err(error) = outcome {
                    fleet.dispatch(FleetAction::Failed(error));
                }
            });
        });
    }
    {
        let clusters = clusters.clone();
        use_effect_with((*generation, *reloads), move |_| {
            clusters.dispatch(Action::Refresh);
            wasm_bindgen_futures::spawn_local(async move {
                let events = clusters.clone();
                let outcome = ipc::watch_clusters(move |event| match event {
                    Ok(event) => events.dispatch(Action::Event(event)),
                    Err(error) => events.dispatch(Action::Failed(error)),
                })
                .await;
                if let Err(error) = outcome {
                    clusters.dispatch(Action::Failed(error));
                }
            });
        });
    }
    // The window opens on the view it was closed on; each change after that is noted for the
    // next start (not the default shown while the last one is asked for).
    let restored = use_state(|| false);
    {
        let (view, restored) = (view.clone(), restored.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(last) = ipc::last_view().await {
                    view.set(last);
                }
                restored.set(true);
            });
        });
    }
    use_effect_with((*view, *restored), |(view, restored)| {
        if *restored {
            let view = *view;
            wasm_bindgen_futures::spawn_local(async move {
                let _ = ipc::remember_view(view).await;
            });
        }
    });
    // Callbacks made once (or when what they read changes), so that a cluster event re-rendering
    // the window does not hand the views new properties and re-render them too.
    let on_refresh = {
        let generation = generation.clone();
        use_callback(*generation, move |(), now| generation.set(now + 1))
    };
    let on_view = {
        let view = view.setter();
        use_callback((), move |next: View, _| view.set(next))
    };
    let on_rollout = {
        let (view, rollout) = (view.setter(), rollout.setter());
        use_callback((), move |id: Option<i64>, _| {
            rollout.set(id);
            view.set(View::Rollouts);
        })
    };
    let on_rollout_started = {
        let on_rollout = on_rollout.clone();
        use_callback((), move |id: i64, _| on_rollout.emit(Some(id)))
    };
    let files = clusters.kubeconfig.as_ref().map(|k| k.files.clone()).unwrap_or_default();
    html! {
        <ContextProvider<UseReducerHandle<Toasts>> context={toasts.clone()}>
        <ContextProvider<ActionsContext> context={actions}>
            <div class="app">
                <TopBar {files} view={*view} {on_view} tenants={fleet.tenants.len()} clusters={clusters.rows.len()}
                        probing={clusters.probing} on_refresh={on_refresh.clone()} />
                <main class="content">
                    {
                        match *view {
                            View::Tenants => html! { <TenantsPage fleet={fleet.clone()} on_rollout={on_rollout_started} open={(*open_request).clone()} groups={groups.clone()} /> },
                            View::Clusters => html! { <ClustersPage state={clusters.clone()} on_changed={on_refresh.clone()} /> },
                            View::Audit => html! { <AuditPage /> },
                            View::Tenancy => html! { <TenancyPage /> },
                            View::Rollouts => html! { <RolloutsPage fleet={fleet.clone()} opened={*rollout} on_open={on_rollout.clone()} /> },
                        }
                    }
                </main>
                <ToastStack toasts={toasts.clone()} />
            </div>
        </ContextProvider<ActionsContext>>
        </ContextProvider<UseReducerHandle<Toasts>>>
    }
}
