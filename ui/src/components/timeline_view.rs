//! A tenant's timeline: revisions, actions, hand edits, health changes, warnings, restarts and
//! backups in one list, newest first, with a filter by kind; from the cache when the cluster
//! does not answer.

use tenantry_model::{Timeline, TimelineKind, UiError};
use yew::prelude::*;

use crate::components::Notice;
use crate::hooks::{ago, use_clock};
use crate::ipc;

const KINDS: [TimelineKind; 7] = [
    TimelineKind::Revision,
    TimelineKind::Action,
    TimelineKind::Edit,
    TimelineKind::Health,
    TimelineKind::Warning,
    TimelineKind::Restart,
    TimelineKind::Backup,
];

/// Properties of [`TimelineView`].
#[derive(Properties, PartialEq)]
pub struct TimelineViewProps {
    /// The tenant's cluster.
    pub cluster: String,
    /// The tenant.
    pub id: String,
    /// Changes whenever the tenant's row does, to read the timeline again.
    pub generation: u64,
}

/// The timeline of one tenant.
#[function_component(TimelineView)]
pub fn timeline_view(props: &TimelineViewProps) -> Html {
    let timeline = use_state(|| None::<Result<Timeline, UiError>>);
    let only = use_state(|| None::<TimelineKind>);
    let now = use_clock();
    {
        let timeline = timeline.clone();
        use_effect_with((props.cluster.clone(), props.id.clone(), props.generation), move |(cluster, id, _)| {
            let (cluster, id) = (cluster.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                timeline.set(Some(ipc::tenant_timeline(&cluster, &id).await));
            });
        });
    }
    let Some(read) = &*timeline else {
        return html! { <div class="empty" aria-busy="true"><p>{ "Reading the timeline…" }</p></div> };
    };
    let timeline = match read {
        Ok(timeline) => timeline,
        Err(error) => return html! { <Notice error={error.clone()} /> },
    };
    let chip = |kind: Option<TimelineKind>| {
        let only = only.clone();
        let count = timeline.entries.iter().filter(|e| kind.is_none_or(|k| e.kind == k)).count();
        let active = *only == kind;
        let onclick = Callback::from(move |_: MouseEvent| only.set(if active { None } else { kind }));
        html! {
            <button class={classes!("chip", "timeline-chip", active.then_some("active"))} {onclick}>
                { kind.map_or("all", TimelineKind::name) }<span class="chip-count">{ count }</span>
            </button>
        }
    };
    html! {
        <div class="timeline">
            <nav class="timeline-kinds">
                { chip(None) }
                { for KINDS.iter().filter(|k| timeline.entries.iter().any(|e| e.kind == **k)).map(|k| chip(Some(*k))) }
            </nav>
            if !timeline.live {
                <p class="tab-note">{ "The cluster does not answer: this is what this machine remembers." }</p>
            }
            { for timeline.notes.iter().map(|n| html! { <p class="tab-note">{ n }</p> }) }
            if timeline.entries.is_empty() {
                <p class="muted">{ "Nothing is known of this tenant yet." }</p>
            }
            <ol class="timeline-list">
                { for timeline.entries.iter().filter(|e| only.is_none_or(|k| e.kind == k)).map(|entry| html! {
                    <li class={classes!("timeline-entry", format!("timeline-{}", entry.kind.name()))}>
                        <span class="timeline-when" title={entry.at.clone()}>{ ago(&entry.at, now) }</span>
                        <span class="timeline-kind">{ entry.kind.name() }</span>
                        <div class="timeline-body">
                            <div class="timeline-title">{ &entry.title }
                                if !entry.by.is_empty() { <span class="timeline-by">{ format!(" · {}", entry.by) }</span> }
                            </div>
                            if !entry.detail.is_empty() { <div class="timeline-detail">{ &entry.detail }</div> }
                        </div>
                    </li>
                }) }
            </ol>
        </div>
    }
}
