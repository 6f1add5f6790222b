//! A tenant's pod logs through the API server's `pods/log`, as kubectl reads them: which
//! containers a request reads (from the tenant's pods), each read with the server's
//! timestamps, the lines of several containers merged in time order.

use std::pin::Pin;

use futures::io::AsyncBufReadExt as _;
use futures::{Stream, StreamExt as _};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;
use tenantry_model::{LogEvent, LogLine, LogRequest, LogSource, PodSummary};

use crate::access::{Permission, Reviews};

/// Most containers one request reads at once (each is an open stream while following).
pub const MAX_SOURCES: usize = 64;
/// Lines sent in one `Lines` event.
const BATCH: usize = 1_000;
/// The longest line kept, in bytes; longer ones are cut and say so.
const LINE_CAP: usize = 16 * 1024;
/// Containers read at once when not following.
const CONCURRENCY: usize = 8;

/// Why a log request cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The workload asked for has no pods in the tenant.
    #[error("the tenant has no pods of a workload named {0}")]
    NoWorkload(String),
    /// The pod asked for is not the tenant's.
    #[error("the tenant has no pod named {0}")]
    NoPod(String),
    /// None of the chosen pods has a container that started.
    #[error("no container of {0} has started yet, so there is no log to read")]
    NothingStarted(String),
    /// Too many containers for one request.
    #[error("{0} containers are more than {MAX_SOURCES} read at once; choose a workload or a pod")]
    TooMany(usize),
    /// The identity may not read pod logs in the namespace.
    #[error("this identity may not read pod logs here (it lacks {0})")]
    Forbidden(String),
    /// The tenant's cluster is not watched now.
    #[error("cluster {0} is not connected")]
    NotConnected(String),
    /// The tenant is not known.
    #[error("the tenant {0} is no longer known")]
    UnknownTenant(String),
    /// The permission check failed.
    #[error("cannot check the permission to read logs")]
    Check(#[source] kube::Error),
}

impl LogError {
    /// The error as the window shows it.
    pub fn to_ui(&self) -> tenantry_model::UiError {
        use tenantry_model::ErrorKind;
        let kind = match self {
            Self::NoWorkload(_) | Self::NoPod(_) | Self::NothingStarted(_) | Self::TooMany(_) => ErrorKind::Invalid,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotConnected(_) => ErrorKind::Unreachable,
            Self::UnknownTenant(_) | Self::Check(_) => ErrorKind::Api,
        };
        crate::error::ui(kind, self.to_string(), self)
    }
}

/// The containers `request` reads among the tenant's `pods`, pod by pod.
pub fn sources(pods: &[PodSummary], request: &LogRequest) -> Result<Vec<LogSource>, LogError> {
    let chosen: Vec<&PodSummary> = match (&request.pod, &request.workload) {
        (Some(pod), _) => {
            vec![pods.iter().find(|p| &p.name == pod).ok_or_else(|| LogError::NoPod(pod.clone()))?]
        }
        (None, Some(workload)) => {
            let of: Vec<&PodSummary> = pods.iter().filter(|p| p.workload.as_ref() == Some(workload)).collect();
            if of.is_empty() {
                return Err(LogError::NoWorkload(workload.clone()));
            }
            of
        }
        (None, None) => pods.iter().filter(|p| p.workload.is_some()).collect(),
    };
    let sources: Vec<LogSource> = chosen
        .iter()
        .flat_map(|pod| pod.containers.iter().map(|c| LogSource { pod: pod.name.clone(), container: c.clone() }))
        .collect();
    if sources.is_empty() {
        let what = request
            .pod
            .clone()
            .or_else(|| request.workload.as_ref().map(|w| format!("the pods of {w}")))
            .unwrap_or_else(|| "the tenant's pods".to_owned());
        return Err(LogError::NothingStarted(what));
    }
    if sources.len() > MAX_SOURCES {
        return Err(LogError::TooMany(sources.len()));
    }
    Ok(sources)
}

/// The permission reading logs in `namespace` needs, when the identity of `client` lacks it.
pub async fn missing_permission(client: &kube::Client, namespace: &str) -> Result<Option<String>, LogError> {
    let wanted = [Permission::new("get", "", "pods/log", Some(namespace))];
    let missing = Reviews::new(client.clone()).missing(&wanted).await.map_err(LogError::Check)?;
    Ok(missing.first().map(ToString::to_string))
}

/// Reads `sources` of `namespace` as `request` says: `Started`, then the lines (all of them in
/// time order when not following; while following, each batch in time order as it arrives),
/// `Unreadable` for a container whose log cannot be read, and `Ended` once every log ended.
pub fn read(
    client: kube::Client,
    namespace: &str,
    sources: Vec<LogSource>,
    request: &LogRequest,
) -> impl Stream<Item = LogEvent> + Send + 'static {
    let api: Api<Pod> = Api::namespaced(client, namespace);
    let params = LogParams {
        follow: request.follow,
        previous: request.previous,
        tail_lines: request.tail.map(i64::from),
        since_seconds: request.since_seconds.and_then(|s| i64::try_from(s).ok()),
        timestamps: true,
        ..LogParams::default()
    };
    let started = LogEvent::Started { sources: sources.clone() };
    let per_source = sources.into_iter().map(move |source| container_log(api.clone(), params.clone(), source));
    let body: Pin<Box<dyn Stream<Item = LogEvent> + Send>> = if request.follow {
        Box::pin(
            futures::stream::select_all(per_source)
                .ready_chunks(BATCH)
                .flat_map(|read| futures::stream::iter(events(read))),
        )
    } else {
        let all = futures::stream::iter(per_source)
            .map(|log| log.collect::<Vec<Read>>())
            .buffer_unordered(CONCURRENCY)
            .concat();
        Box::pin(futures::stream::once(all).flat_map(|read| futures::stream::iter(events(read))))
    };
    futures::stream::once(async { started }).chain(body).chain(futures::stream::once(async { LogEvent::Ended }))
}

/// One thing read from a container's log.
enum Read {
    Line(LogLine),
    Unreadable(LogSource, String),
}

/// Events for what was read: the lines in time order in batches, then the unreadable ones.
fn events(read: Vec<Read>) -> Vec<LogEvent> {
    let mut lines = Vec::new();
    let mut events = Vec::new();
    for item in read {
        match item {
            Read::Line(line) => lines.push(line),
            Read::Unreadable(source, message) => events.push(LogEvent::Unreadable { source, message }),
        }
    }
    lines.sort_by(|a, b| a.at.cmp(&b.at));
    let mut batches: Vec<LogEvent> = Vec::new();
    let mut rest = lines.into_iter().peekable();
    while rest.peek().is_some() {
        batches.push(LogEvent::Lines { lines: rest.by_ref().take(BATCH).collect() });
    }
    batches.extend(events);
    batches
}

/// The lines of one container's log, or why it cannot be read.
fn container_log(api: Api<Pod>, params: LogParams, source: LogSource) -> Pin<Box<dyn Stream<Item = Read> + Send>> {
    let params = LogParams { container: Some(source.container.clone()), ..params };
    let opened = async move {
        match api.log_stream(&source.pod, &params).await {
            Ok(reader) => lines(Box::pin(reader), source),
            Err(err) => {
                let message = unreadable(&err, params.previous);
                Box::pin(futures::stream::once(async move { Read::Unreadable(source, message) }))
            }
        }
    };
    Box::pin(futures::stream::once(opened).flatten())
}

/// The lines of an open log, invalid UTF-8 replaced, each stamped by the server's timestamp.
fn lines(
    reader: Pin<Box<dyn futures::AsyncBufRead + Send>>,
    source: LogSource,
) -> Pin<Box<dyn Stream<Item = Read> + Send>> {
    Box::pin(futures::stream::unfold(Some((reader, source)), |state| async move {
        let (mut reader, source) = state?;
        let mut raw = Vec::new();
        match reader.read_until(b'\n', &mut raw).await {
            Ok(0) => None,
            Ok(_) => {
                let line = parse(&source, &String::from_utf8_lossy(&raw));
                Some((Read::Line(line), Some((reader, source))))
            }
            Err(err) => {
                let message = format!("the log stopped: {err}");
                Some((Read::Unreadable(source.clone(), message), None))
            }
        }
    }))
}

/// A line as the API server sends it with timestamps (`<RFC3339Nano> text`).
pub fn parse(source: &LogSource, raw: &str) -> LogLine {
    let raw = raw.strip_suffix('\n').unwrap_or(raw);
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    let (at, text) = match raw.split_once(' ').and_then(|(at, text)| Some((at.parse::<jiff::Timestamp>().ok()?, text)))
    {
        Some((at, text)) => (format!("{at:.9}"), text),
        None => (String::new(), raw),
    };
    LogLine { at, pod: source.pod.clone(), container: source.container.clone(), text: cap(text) }
}

fn cap(text: &str) -> String {
    if text.len() <= LINE_CAP {
        return text.to_owned();
    }
    let mut end = LINE_CAP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… (line cut at {} KiB)", &text[..end], LINE_CAP / 1024)
}

/// Why a container's log cannot be read, in words (the API server's message says it best).
fn unreadable(err: &kube::Error, previous: bool) -> String {
    match err {
        kube::Error::Api(status) if status.code == 403 => "this identity may not read pod logs here".to_owned(),
        kube::Error::Api(status) if previous && status.code == 400 => {
            format!("no previous log (the container has not restarted): {}", status.message)
        }
        kube::Error::Api(status) => status.message.clone(),
        other => crate::error::chain(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, workload: &str, containers: &[&str]) -> PodSummary {
        PodSummary {
            name: name.into(),
            phase: "Running".into(),
            ready: true,
            restarts: 0,
            node: None,
            created: None,
            workload: Some(workload.into()),
            containers: containers.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn a_request_reads_every_started_container_of_the_chosen_pods() {
        let pods = [pod("web-1", "web", &["app", "proxy"]), pod("web-2", "web", &["app"]), pod("db-0", "db", &[])];
        let all = sources(&pods, &LogRequest::default()).expect("sources");
        assert_eq!(all.len(), 3);
        let web = LogRequest { workload: Some("web".into()), ..LogRequest::default() };
        assert_eq!(sources(&pods, &web).expect("web").len(), 3);
        let one = LogRequest { pod: Some("web-2".into()), ..LogRequest::default() };
        assert_eq!(sources(&pods, &one).expect("one"), [LogSource { pod: "web-2".into(), container: "app".into() }]);
        let db = LogRequest { workload: Some("db".into()), ..LogRequest::default() };
        assert!(matches!(sources(&pods, &db), Err(LogError::NothingStarted(_))));
        let gone = LogRequest { pod: Some("web-9".into()), ..LogRequest::default() };
        assert!(matches!(sources(&pods, &gone), Err(LogError::NoPod(_))));
        let other = LogRequest { workload: Some("cron".into()), ..LogRequest::default() };
        assert!(matches!(sources(&pods, &other), Err(LogError::NoWorkload(_))));
    }

    #[test]
    fn lines_carry_a_fixed_width_time_so_text_order_is_time_order() {
        let source = LogSource { pod: "web-1".into(), container: "app".into() };
        let early = parse(&source, "2026-11-30T01:02:03.5Z GET /\n");
        let late = parse(&source, "2026-11-30T01:02:03.123456789Z GET /cart\r\n");
        assert_eq!(early.at, "2026-11-30T01:02:03.500000000Z");
        assert_eq!(late.text, "GET /cart");
        assert!(late.at < early.at);
        let bare = parse(&source, "no timestamp here");
        assert_eq!((bare.at.as_str(), bare.text.as_str()), ("", "no timestamp here"));
    }

    #[test]
    fn an_endless_line_is_cut_and_says_so() {
        let source = LogSource { pod: "p".into(), container: "c".into() };
        let long = format!("2026-11-30T01:02:03Z {}", "é".repeat(20_000));
        let line = parse(&source, &long);
        assert!(line.text.len() < LINE_CAP + 64);
        assert!(line.text.ends_with("(line cut at 16 KiB)"));
    }
}
