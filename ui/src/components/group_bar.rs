//! The user's groups of clusters above the Clusters table: a chip per group that shows only its
//! clusters, watching or unwatching the chosen group as a whole, ungrouping it, and naming the
//! clusters shown now (after a search) as a group.

use std::collections::BTreeMap;

use tenantry_model::ClusterRow;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// What the bar asks of the page.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupCommand {
    /// Show only this group's clusters (`None`: all).
    Show(Option<String>),
    /// Name these contexts as a group.
    Save(String, Vec<String>),
    /// Watch (true) or stop watching (false) every cluster of the group.
    Watch(String, bool),
    /// Delete the group (its clusters stay).
    Ungroup(String),
}

/// Properties of [`GroupBar`].
#[derive(Properties, PartialEq)]
pub struct GroupBarProps {
    /// Every row (their groups make the chips).
    pub rows: Vec<ClusterRow>,
    /// The contexts shown now, which "Save as group" names.
    pub shown: Vec<String>,
    /// The group shown, if one is.
    pub active: Option<String>,
    /// Receives the bar's commands.
    pub on_command: Callback<GroupCommand>,
}

/// The group chips, the chosen group's actions, and the naming field.
#[function_component(GroupBar)]
pub fn group_bar(props: &GroupBarProps) -> Html {
    let name = use_state(String::new);
    let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
    for group in props.rows.iter().flat_map(|row| row.groups.iter()) {
        *groups.entry(group.as_str()).or_default() += 1;
    }
    let chip = |group: &str, count: usize| {
        let active = props.active.as_deref() == Some(group);
        let next = (!active).then(|| group.to_owned());
        let onclick = props.on_command.reform(move |_: MouseEvent| GroupCommand::Show(next.clone()));
        html! {
            <button class={classes!("chip", "group-chip", active.then_some("active"))} data-group={group.to_owned()} {onclick}>
                { group }<span class="chip-count">{ count }</span>
            </button>
        }
    };
    let on_name = {
        let name = name.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                name.set(input.value());
            }
        })
    };
    let save = {
        let (name, shown, on_command) = (name.clone(), props.shown.clone(), props.on_command.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if !name.trim().is_empty() {
                on_command.emit(GroupCommand::Save(name.trim().to_owned(), shown.clone()));
                name.set(String::new());
            }
        })
    };
    let active_actions = props.active.clone().map(|group| {
        let watch = |on: bool| {
            let group = group.clone();
            props.on_command.reform(move |_: MouseEvent| GroupCommand::Watch(group.clone(), on))
        };
        let ungroup = {
            let group = group.clone();
            props.on_command.reform(move |_: MouseEvent| GroupCommand::Ungroup(group.clone()))
        };
        html! {
            <span class="group-actions">
                <button class="secondary small" id="watch-group" onclick={watch(true)}>{ "Watch group" }</button>
                <button class="secondary small" id="unwatch-group" onclick={watch(false)}>{ "Unwatch group" }</button>
                <button class="secondary small" id="ungroup" onclick={ungroup}>{ "Ungroup" }</button>
            </span>
        }
    });
    html! {
        <div class="group-bar">
            <span class="muted group-label">{ "Groups" }</span>
            if groups.is_empty() {
                <span class="muted">{ "none yet" }</span>
            }
            { for groups.iter().map(|(group, count)| chip(group, *count)) }
            { active_actions.unwrap_or_default() }
            <form class="group-new" onsubmit={save}>
                <input id="group-name" value={(*name).clone()} oninput={on_name} maxlength="40"
                    placeholder={format!("Name the {} shown as a group…", props.shown.len())} aria-label="Group name" />
                <button class="secondary small" id="group-save" type="submit" disabled={name.trim().is_empty() || props.shown.is_empty()}>{ "Save as group" }</button>
            </form>
        </div>
    }
}
