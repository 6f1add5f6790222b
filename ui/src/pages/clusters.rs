//! The clusters view, the credentials board: counts, search, which clusters the fleet watches
//! (one by one or every shown row at once), each cluster's credential and "Sign in" where a
//! person is needed, "Check" for any cluster, and adding or removing a cluster reached by token.

use tenantry_model::{AddedClusterReport, ClusterRow};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::{
    AddClusterDialog, ClusterTable, GroupBar, GroupCommand, Notice, NotificationsDialog, RowCommand, SignInDialog,
    Summary,
};
use crate::hooks::use_clock;
use crate::ipc;
use crate::state::clusters::{Action, ClustersState, matches};
use crate::state::toast::{ToastAction, Toasts, Tone};

/// Properties of [`ClustersPage`].
#[derive(Properties, PartialEq)]
pub struct ClustersPageProps {
    /// The cluster list (the reducer's handle: passing it copies nothing).
    pub state: UseReducerHandle<ClustersState>,
    /// Reloads the list after a cluster was added or removed.
    pub on_changed: Callback<()>,
}

/// Counts and the table, or why there is nothing to show; the Add cluster dialog.
#[function_component(ClustersPage)]
pub fn clusters_page(props: &ClustersPageProps) -> Html {
    let state = &props.state;
    let adding = use_state(|| false);
    let confirming = use_state(|| None::<String>);
    let search = use_state(String::new);
    let signing_in = use_state(|| None::<(String, String)>);
    let notifying = use_state(|| false);
    let group = use_state(|| None::<String>);
    let now_ms = use_clock();
    let toasts = use_context::<UseReducerHandle<Toasts>>();
    let toast = move |tone: Tone, message: String| {
        if let Some(toasts) = &toasts {
            toasts.dispatch(ToastAction::Raise(tone, message, js_sys::Date::now()));
        }
    };
    let on_added = {
        let (adding, on_changed, toast) = (adding.clone(), props.on_changed.clone(), toast.clone());
        Callback::from(move |report: AddedClusterReport| {
            adding.set(false);
            on_changed.emit(());
            let identity = report.identity.unwrap_or_else(|| "an unnamed identity".into());
            toast(
                Tone::Good,
                format!(
                    "Added {} (Kubernetes {}) as {identity}; its token is in the {}.",
                    report.name, report.version, report.keyring
                ),
            );
        })
    };
    let choose = {
        let (state, toast) = (state.clone(), toast.clone());
        Callback::from(move |(contexts, watch): (Vec<String>, bool)| {
            let (state, toast) = (state.clone(), toast.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::set_watched(&contexts, watch).await {
                    Ok(rows) => {
                        let newly: Vec<String> = rows
                            .iter()
                            .filter(|row| row.chosen && contexts.contains(&row.context))
                            .map(|row| row.context.clone())
                            .collect();
                        state.dispatch(Action::Chosen(rows));
                        check(&state, newly).await;
                    }
                    Err(error) => toast(Tone::Bad, format!("The watched clusters were not changed: {}", error.message)),
                }
            });
        })
    };
    let on_group = {
        let (state, toast, group, choose) = (state.clone(), toast.clone(), group.clone(), choose.clone());
        Callback::from(move |command: GroupCommand| {
            let members = |name: &str| -> Vec<&ClusterRow> {
                state.rows.iter().filter(|row| row.groups.iter().any(|g| g == name)).collect()
            };
            let (name, contexts) = match command {
                GroupCommand::Show(chosen) => return group.set(chosen),
                GroupCommand::Watch(name, false) => {
                    return choose.emit((members(&name).iter().map(|row| row.context.clone()).collect(), false));
                }
                GroupCommand::Watch(name, true) => {
                    // One identity per server: the one watched now, else the first by name.
                    let mut rows = members(&name);
                    rows.sort_by_key(|row| !(row.chosen && row.watched_through.is_none()));
                    let mut servers = std::collections::HashSet::new();
                    let picked = rows
                        .into_iter()
                        .filter(|row| servers.insert(row.server.clone()))
                        .map(|row| row.context.clone());
                    return choose.emit((picked.collect(), true));
                }
                GroupCommand::Save(name, contexts) => (name, contexts),
                GroupCommand::Ungroup(name) => (name, Vec::new()),
            };
            let (state, toast, group) = (state.clone(), toast.clone(), group.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::set_group(&name, &contexts).await {
                    Ok(rows) => {
                        state.dispatch(Action::Chosen(rows));
                        group.set((!contexts.is_empty()).then_some(name));
                    }
                    Err(error) => toast(Tone::Bad, format!("The group was not saved: {}", error.message)),
                }
            });
        })
    };
    let check_now = {
        let state = state.clone();
        Callback::from(move |contexts: Vec<String>| {
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move { check(&state, contexts).await });
        })
    };
    let watched_names: Vec<String> = state
        .rows
        .iter()
        .filter(|row| row.chosen && row.watched_through.is_none())
        .map(|row| row.context.clone())
        .collect();
    let close_notifications = {
        let notifying = notifying.clone();
        Callback::from(move |()| notifying.set(false))
    };
    let saved_notifications = {
        let (close, toast) = (close_notifications.clone(), toast.clone());
        Callback::from(move |()| {
            close.emit(());
            toast(Tone::Good, "Notification settings saved.".to_owned());
        })
    };
    let on_command = {
        let (confirming, on_changed, signing_in) = (confirming.clone(), props.on_changed.clone(), signing_in.clone());
        let (choose, check_now) = (choose.clone(), check_now.clone());
        let rows = state.rows.clone();
        Callback::from(move |command: RowCommand| match command {
            RowCommand::Watch(context, watch) => choose.emit((vec![context], watch)),
            RowCommand::Check(context) => check_now.emit(vec![context]),
            RowCommand::SignIn(context) => {
                let method = rows.iter().find(|row| row.context == context).map(|row| row.credential.method.clone());
                signing_in.set(Some((context, method.unwrap_or_default())));
            }
            RowCommand::Ask(name) => confirming.set(Some(name)),
            RowCommand::Keep => confirming.set(None),
            RowCommand::Remove(name) => {
                confirming.set(None);
                let (on_changed, toast) = (on_changed.clone(), toast.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    match ipc::remove_cluster(&name).await {
                        Ok(()) => toast(Tone::Good, format!("Removed {name}; its token is gone from the keyring.")),
                        Err(error) => toast(Tone::Bad, format!("{name} was not removed: {}", error.message)),
                    }
                    on_changed.emit(());
                });
            }
        })
    };
    let open = {
        let adding = adding.clone();
        Callback::from(move |_: MouseEvent| adding.set(true))
    };
    let close = {
        let adding = adding.clone();
        Callback::from(move |()| adding.set(false))
    };
    let kubeconfig_error = state.kubeconfig.as_ref().and_then(|k| k.error.clone());
    let loaded = state.kubeconfig.is_some();
    let shown: Vec<ClusterRow> = state
        .rows
        .iter()
        .filter(|row| matches(row, &search) && group.as_ref().is_none_or(|g| row.groups.contains(g)))
        .cloned()
        .collect();
    let shown_names: Vec<String> = shown.iter().map(|row| row.context.clone()).collect();
    let watched = state.rows.iter().filter(|row| row.chosen && row.watched_through.is_none()).count();
    let on_search = {
        let search = search.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                search.set(input.value());
            }
        })
    };
    let bulk = |watch: bool| {
        let (choose, names) = (choose.clone(), shown_names.clone());
        Callback::from(move |_: MouseEvent| choose.emit((names.clone(), watch)))
    };
    let check_shown = {
        let (check_now, names) = (check_now.clone(), shown_names.clone());
        Callback::from(move |_: MouseEvent| check_now.emit(names.clone()))
    };
    let sign_in_view = (*signing_in).clone().map(|(context, method)| {
        let on_close = {
            let signing_in = signing_in.clone();
            Callback::from(move |()| signing_in.set(None))
        };
        let on_signed_in = {
            let (state, context, check_now) = (state.clone(), context.clone(), check_now.clone());
            Callback::from(move |credential| {
                state.dispatch(Action::Credential(context.clone(), credential));
                check_now.emit(vec![context.clone()]);
            })
        };
        html! { <SignInDialog {context} {method} {on_close} {on_signed_in} /> }
    });
    html! {
        <>
            <div class="toolbar page-toolbar clusters-toolbar">
                <input type="search" id="cluster-search" class="search" placeholder="Search contexts, servers, users…" value={(*search).clone()} oninput={on_search} aria-label="Search clusters" />
                <span class="muted watched-count" id="watched-count">{ format!("{watched} of {} watched · {} shown", state.rows.len(), shown.len()) }</span>
                <button class="secondary" id="watch-shown" onclick={bulk(true)} disabled={shown.is_empty()}>{ "Watch shown" }</button>
                <button class="secondary" id="unwatch-shown" onclick={bulk(false)} disabled={shown.is_empty()}>{ "Unwatch shown" }</button>
                <button class="secondary" id="check-shown" onclick={check_shown} disabled={shown.is_empty()}>{ "Check shown" }</button>
                <span class="spacer"></span>
                <button class="secondary" id="open-notifications" onclick={let notifying = notifying.clone(); Callback::from(move |_: MouseEvent| notifying.set(true))}>{ "Notifications…" }</button>
                <button class="primary add-cluster" id="add-cluster" onclick={open}>{ "Add cluster" }</button>
            </div>
            if let Some(error) = state.error.clone() {
                <Notice {error} />
            }
            if let Some(error) = kubeconfig_error {
                <Notice {error} />
            } else if loaded && state.rows.is_empty() {
                <div class="empty">
                    <h2>{ "No clusters yet" }</h2>
                    <p>{ "The kubeconfig has no contexts. Add a cluster by its address and a token, or point KUBECONFIG at a file that has some." }</p>
                </div>
            } else if loaded {
                <Summary rows={state.rows.clone()} />
                <GroupBar rows={state.rows.clone()} shown={shown_names.clone()} active={(*group).clone()} on_command={on_group} />
                <ClusterTable rows={shown} confirming={(*confirming).clone()} {on_command} {now_ms} />
            } else {
                <div class="empty" aria-busy="true"><p>{ "Reading the kubeconfig…" }</p></div>
            }
            if *adding {
                <AddClusterDialog on_close={close} {on_added} />
            }
            { sign_in_view.unwrap_or_default() }
            if *notifying {
                <NotificationsDialog clusters={watched_names} on_close={close_notifications.clone()} on_saved={saved_notifications} />
            }
        </>
    }
}

/// Probes `contexts` now and puts the results in `state` (the rows read "Checking…" meanwhile).
async fn check(state: &UseReducerHandle<ClustersState>, contexts: Vec<String>) {
    if contexts.is_empty() {
        return;
    }
    state.dispatch(Action::Checking(contexts.clone()));
    match ipc::check_clusters(&contexts).await {
        Ok(results) => state.dispatch(Action::Checked(results)),
        Err(error) => state.dispatch(Action::Failed(error)),
    }
}
