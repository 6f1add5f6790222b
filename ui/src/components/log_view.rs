//! A tenant's pod logs: one workload's or pod's containers merged in time order, the pod and
//! container named on each line, followed live; the previous container's log; the last N lines
//! or since a time; search with matches marked; copy and save. Only the lines in view are
//! rendered, so tens of thousands scroll smoothly.

use tenantry_model::{LogLine, LogRequest, PodSummary, WorkloadSummary};
use wasm_bindgen::JsCast as _;
use web_sys::HtmlElement;
use yew::prelude::*;

use crate::components::Notice;
use crate::ipc;
use crate::state::logs::{LogAction, LogBuffer, MAX_LINES, Reading, highlight, matches};

/// Height of one line in pixels (the stylesheet's `.log-line`).
const ROW: f64 = 20.0;
/// The tallest the scrolling area gets in pixels (the stylesheet's `.log-lines`).
const HEIGHT: f64 = 960.0;
/// Lines rendered above and below the visible ones.
const OVERSCAN: usize = 20;

/// How much of each log to read.
#[derive(Clone, Copy, PartialEq)]
enum Range {
    Tail(u32),
    Since(u64),
    All,
}

const RANGES: [(Range, &str); 7] = [
    (Range::Tail(100), "last 100 lines"),
    (Range::Tail(500), "last 500 lines"),
    (Range::Tail(5_000), "last 5,000 lines"),
    (Range::Since(15 * 60), "last 15 minutes"),
    (Range::Since(3_600), "last hour"),
    (Range::Since(86_400), "last 24 hours"),
    (Range::All, "everything"),
];

/// Properties of [`LogView`].
#[derive(Properties, PartialEq)]
pub struct LogViewProps {
    /// The tenant's cluster.
    pub cluster: String,
    /// The tenant.
    pub id: String,
    /// Its workloads.
    pub workloads: Vec<WorkloadSummary>,
    /// Its pods.
    pub pods: Vec<PodSummary>,
}

/// The log view of one tenant.
#[function_component(LogView)]
pub fn log_view(props: &LogViewProps) -> Html {
    let workload = use_state(|| None::<String>);
    let pod = use_state(|| None::<String>);
    let previous = use_state(|| false);
    let follow = use_state(|| true);
    let range = use_state(|| Range::Tail(500));
    let query = use_state(String::new);
    let current = use_state(|| 0_usize);
    let scroll_top = use_state(|| 0.0_f64);
    let stick = use_mut_ref(|| true);
    let saved = use_state(|| None::<Result<String, tenantry_model::UiError>>);
    let buffer = use_reducer(LogBuffer::default);
    let streams = use_mut_ref(|| 0_u64);
    let lines_ref = use_node_ref();

    let request = LogRequest {
        workload: (*workload).clone(),
        pod: (*pod).clone(),
        previous: *previous,
        tail: match *range {
            Range::Tail(n) => Some(n),
            _ => None,
        },
        since_seconds: match *range {
            Range::Since(s) => Some(s),
            _ => None,
        },
        follow: *follow && !*previous,
    };
    {
        let dispatcher = buffer.dispatcher();
        let stick = stick.clone();
        use_effect_with((props.cluster.clone(), props.id.clone(), request.clone()), move |(cluster, id, request)| {
            let stream = {
                let mut counter = streams.borrow_mut();
                *counter += 1;
                *counter
            };
            *stick.borrow_mut() = true;
            dispatcher.dispatch(LogAction::Restart(stream));
            let (cluster, id, request) = (cluster.clone(), id.clone(), request.clone());
            let events = dispatcher.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let on_event = move |event: Result<tenantry_model::LogEvent, tenantry_model::UiError>| match event {
                    Ok(event) => events.dispatch(LogAction::Event(stream, event)),
                    Err(error) => events.dispatch(LogAction::Failed(stream, error)),
                };
                if let Err(error) = ipc::tenant_logs(&cluster, &id, &request, stream, on_event).await {
                    dispatcher.dispatch(LogAction::Failed(stream, error));
                }
            });
            move || {
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = ipc::stop_logs(stream).await;
                });
            }
        });
    }
    let total = buffer.lines.len();
    let first = ((*scroll_top / ROW) as usize).saturating_sub(OVERSCAN).min(total);
    let last = (first + (HEIGHT / ROW) as usize + 2 * OVERSCAN).min(total);
    let (sizer, window) = (use_node_ref(), use_node_ref());
    {
        // The CSP forbids inline style attributes; sizes go through the CSS object model. Once
        // sized, new lines scroll into view unless the reader scrolled up.
        let (sizer, window, lines_ref, stick) = (sizer.clone(), window.clone(), lines_ref.clone(), stick.clone());
        let scroll_top = scroll_top.clone();
        use_effect_with((total, first), move |(total, first)| {
            if let Some(sizer) = sizer.cast::<HtmlElement>() {
                let _ = sizer.style().set_property("height", &format!("{}px", *total as f64 * ROW));
            }
            if let Some(window) = window.cast::<HtmlElement>() {
                let _ = window.style().set_property("transform", &format!("translateY({}px)", *first as f64 * ROW));
            }
            if *stick.borrow()
                && let Some(element) = lines_ref.cast::<HtmlElement>()
            {
                element.set_scroll_top(element.scroll_height());
                // The lines rendered follow the position even when no scroll event reports it.
                let top = f64::from(element.scroll_top());
                if (top - *scroll_top).abs() >= 1.0 {
                    scroll_top.set(top);
                }
            }
        });
    }
    let found = matches(&buffer.lines, &query);
    let on_scroll = {
        let (scroll_top, stick) = (scroll_top.clone(), stick.clone());
        Callback::from(move |event: Event| {
            if let Some(element) = event.target_dyn_into::<HtmlElement>() {
                let top = f64::from(element.scroll_top());
                *stick.borrow_mut() =
                    top + f64::from(element.client_height()) + ROW >= f64::from(element.scroll_height());
                scroll_top.set(top);
            }
        })
    };
    let jump = {
        let (lines_ref, current, stick) = (lines_ref.clone(), current.clone(), stick.clone());
        let found = found.clone();
        move |step: isize| {
            let (lines_ref, current, stick, found) = (lines_ref.clone(), current.clone(), stick.clone(), found.clone());
            Callback::from(move |_: MouseEvent| {
                if found.is_empty() {
                    return;
                }
                let count = found.len() as isize;
                let next = ((*current as isize + step) % count + count) % count;
                current.set(next as usize);
                *stick.borrow_mut() = false;
                if let Some(element) = lines_ref.cast::<HtmlElement>() {
                    let line = found[next as usize] as f64;
                    element.set_scroll_top((line * ROW - HEIGHT / 2.0).max(0.0) as i32);
                }
            })
        }
    };
    let copy = {
        let lines = buffer.lines.clone();
        Callback::from(move |_: MouseEvent| copy_to_clipboard(&as_text(&lines)))
    };
    let save = {
        let (lines, saved) = (buffer.lines.clone(), saved.clone());
        let name = format!("{}-{}", props.cluster, props.id);
        Callback::from(move |_: MouseEvent| {
            let (text, saved, name) = (as_text(&lines), saved.clone(), name.clone());
            wasm_bindgen_futures::spawn_local(async move { saved.set(Some(ipc::save_logs(&name, &text).await)) });
        })
    };

    let shown_pods: Vec<&PodSummary> =
        props.pods.iter().filter(|p| workload.as_ref().is_none_or(|w| p.workload.as_ref() == Some(w))).collect();
    let restarted: Vec<String> =
        props.pods.iter().filter(|p| p.restarts > 0).map(|p| format!("{} ({}×)", p.name, p.restarts)).collect();
    let several = buffer.sources.len() > 1;
    let current_line = found.get(*current).copied();

    html! {
        <div class="logs">
            <div class="log-controls">
                <label>{ "Workload " }
                    <select class="log-workload" onchange={select(&workload, Some(pod.clone()))}>
                        <option value="" selected={workload.is_none()}>{ "all workloads" }</option>
                        { for props.workloads.iter().map(|w| html! {
                            <option value={w.name.clone()} selected={workload.as_ref() == Some(&w.name)}>{ &w.name }</option>
                        }) }
                    </select>
                </label>
                <label>{ "Pod " }
                    <select class="log-pod" onchange={select(&pod, None)}>
                        <option value="" selected={pod.is_none()}>{ "all pods" }</option>
                        { for shown_pods.iter().map(|p| html! {
                            <option value={p.name.clone()} selected={pod.as_ref() == Some(&p.name)}>
                                { if p.restarts > 0 { format!("{} · {} restarts", p.name, p.restarts) } else { p.name.clone() } }
                            </option>
                        }) }
                    </select>
                </label>
                <label>{ "Show " }
                    <select class="log-range" onchange={choose_range(&range)}>
                        { for RANGES.iter().enumerate().map(|(i, (r, label))| html! {
                            <option value={i.to_string()} selected={*range == *r}>{ *label }</option>
                        }) }
                    </select>
                </label>
                <label class="check"><input type="checkbox" class="log-previous" checked={*previous} onchange={toggle(&previous)} />
                    { "before the last restart" }</label>
                <label class="check"><input type="checkbox" class="log-follow" checked={*follow && !*previous} disabled={*previous} onchange={toggle(&follow)} />
                    { "follow" }</label>
            </div>
            if !restarted.is_empty() && !*previous {
                <p class="log-hint">{ format!("Restarted: {}. Tick “before the last restart” to read why the container ended.", restarted.join(", ")) }</p>
            }
            <div class="log-controls">
                <input class="log-search" type="search" placeholder="Search the loaded lines" value={(*query).clone()}
                    oninput={{ let (query, current) = (query.clone(), current.clone()); Callback::from(move |e: InputEvent| {
                        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() { query.set(input.value()); current.set(0); }
                    }) }} />
                <span class="log-found">{ if query.trim().is_empty() { String::new() } else if found.is_empty() { "no match".to_owned() } else { format!("{} of {} lines", (*current).min(found.len() - 1) + 1, found.len()) } }</span>
                <button class="small" onclick={jump(-1)} disabled={found.is_empty()}>{ "↑" }</button>
                <button class="small" onclick={jump(1)} disabled={found.is_empty()}>{ "↓" }</button>
                <span class="spacer"></span>
                <button class="small" onclick={copy} disabled={buffer.lines.is_empty()}>{ "Copy" }</button>
                <button class="small log-save" onclick={save} disabled={buffer.lines.is_empty()}>{ "Save" }</button>
            </div>
            <p class="log-status">{ status(&buffer, *follow && !*previous) }</p>
            if let Some(saved) = &*saved {
                { match saved {
                    Ok(path) => html! { <p class="log-saved">{ format!("Saved to {path}") }</p> },
                    Err(error) => html! { <Notice error={error.clone()} /> },
                } }
            }
            { for buffer.problems.iter().map(|p| html! { <p class="log-problem">{ p }</p> }) }
            if let Reading::Failed(error) = &buffer.reading {
                <Notice error={error.clone()} />
            } else {
                <div class="log-lines" ref={lines_ref} onscroll={on_scroll}>
                    <div class="log-sizer" ref={sizer}></div>
                    <div class="log-window" ref={window}>
                        { for buffer.lines[first..last].iter().enumerate().map(|(offset, line)| {
                            row(line, several, &query, current_line == Some(first + offset))
                        }) }
                    </div>
                </div>
            }
        </div>
    }
}

/// One line: its time, the pod and container it came from, the text with matches marked.
fn row(line: &LogLine, several: bool, query: &str, current: bool) -> Html {
    let time = line.at.get(11..23).unwrap_or(&line.at).to_owned();
    let hue = line.pod.bytes().fold(0_u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % 6;
    html! {
        <div class={classes!("log-line", current.then_some("log-current"))} title={line.at.clone()}>
            <span class="log-time">{ time }</span>
            if several {
                <span class={classes!("log-source", format!("hue-{hue}"))}>{ format!("{}/{}", line.pod, line.container) }</span>
            }
            <span class="log-text">
                { for highlight(&line.text, query).into_iter().map(|(part, hit)| if hit { html! { <mark>{ part }</mark> } } else { html! { part } }) }
            </span>
        </div>
    }
}

fn status(buffer: &LogBuffer, following: bool) -> String {
    let containers = buffer.sources.len();
    let read =
        format!("{} lines from {containers} container{}", buffer.lines.len(), if containers == 1 { "" } else { "s" });
    let state = match &buffer.reading {
        Reading::Opening => "Reading…".to_owned(),
        Reading::Open if following => format!("{read} · following"),
        Reading::Open => format!("{read} · reading"),
        Reading::Ended => read,
        Reading::Failed(_) => "The logs cannot be read.".to_owned(),
    };
    if buffer.dropped > 0 {
        format!("{state} · only the newest {MAX_LINES} lines are kept: {} older ones dropped", buffer.dropped)
    } else {
        state
    }
}

/// The lines as text, one per line: time, pod/container, text.
fn as_text(lines: &[LogLine]) -> String {
    lines.iter().map(|l| format!("{} {}/{} {}\n", l.at, l.pod, l.container, l.text)).collect()
}

fn copy_to_clipboard(text: &str) {
    let Some(window) = web_sys::window() else { return };
    let navigator = js_sys::Reflect::get(&window, &"navigator".into()).ok();
    let clipboard = navigator.and_then(|n| js_sys::Reflect::get(&n, &"clipboard".into()).ok());
    let write = clipboard.as_ref().and_then(|c| js_sys::Reflect::get(c, &"writeText".into()).ok());
    if let (Some(clipboard), Some(write)) = (clipboard, write.and_then(|w| w.dyn_into::<js_sys::Function>().ok())) {
        let _ = write.call1(&clipboard, &text.into());
    }
}

/// Sets `state` from a select (empty: none) and clears `also` (the pod, when the workload changes).
fn select(state: &UseStateHandle<Option<String>>, also: Option<UseStateHandle<Option<String>>>) -> Callback<Event> {
    let state = state.clone();
    Callback::from(move |e: Event| {
        if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            let value = select.value();
            state.set((!value.is_empty()).then_some(value));
            if let Some(also) = &also {
                also.set(None);
            }
        }
    })
}

fn choose_range(range: &UseStateHandle<Range>) -> Callback<Event> {
    let range = range.clone();
    Callback::from(move |e: Event| {
        if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>()
            && let Some((chosen, _)) = select.value().parse::<usize>().ok().and_then(|i| RANGES.get(i))
        {
            range.set(*chosen);
        }
    })
}

fn toggle(state: &UseStateHandle<bool>) -> Callback<Event> {
    let state = state.clone();
    Callback::from(move |_: Event| state.set(!*state))
}
