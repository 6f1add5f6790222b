//! The lines of one log view: events of the stream it reads merged in time order, capped in
//! memory (the oldest dropped and counted), and the search over them.

use std::rc::Rc;

use tenantry_model::{LogEvent, LogLine, LogSource, UiError};
use yew::Reducible;

/// Most lines a view keeps; older ones are dropped and counted.
pub const MAX_LINES: usize = 20_000;

/// Where the stream stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Waiting for the first event.
    Opening,
    /// Lines arrive.
    Open,
    /// Every log was read to its end.
    Ended,
    /// The request was refused.
    Failed(UiError),
}

/// The view's lines and the stream they come from.
#[derive(Debug, Clone, PartialEq)]
pub struct LogBuffer {
    /// The number of the stream being read; events of any other are old and ignored.
    pub stream: u64,
    /// Lines in time order.
    pub lines: Vec<LogLine>,
    /// Older lines dropped to stay within [`MAX_LINES`].
    pub dropped: usize,
    /// The containers read.
    pub sources: Vec<LogSource>,
    /// Containers whose log cannot be read, with why.
    pub problems: Vec<String>,
    /// Where the stream stands.
    pub reading: Reading,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self {
            stream: 0,
            lines: Vec::new(),
            dropped: 0,
            sources: Vec::new(),
            problems: Vec::new(),
            reading: Reading::Opening,
        }
    }
}

/// What happens to the buffer.
pub enum LogAction {
    /// A new stream starts: everything held is forgotten.
    Restart(u64),
    /// An event of stream `.0`.
    Event(u64, LogEvent),
    /// Stream `.0` could not be read.
    Failed(u64, UiError),
}

impl Reducible for LogBuffer {
    type Action = LogAction;

    fn reduce(self: Rc<Self>, action: LogAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            LogAction::Restart(stream) => next = Self { stream, ..Self::default() },
            LogAction::Event(stream, _) | LogAction::Failed(stream, _) if stream != self.stream => return self,
            LogAction::Event(_, event) => next.apply(event),
            LogAction::Failed(_, error) => next.reading = Reading::Failed(error),
        }
        Rc::new(next)
    }
}

impl LogBuffer {
    fn apply(&mut self, event: LogEvent) {
        match event {
            LogEvent::Started { sources } => {
                self.sources = sources;
                self.reading = Reading::Open;
            }
            LogEvent::Lines { lines } => self.merge(lines),
            LogEvent::Unreadable { source, message } => {
                self.problems.push(format!("{}/{}: {message}", source.pod, source.container));
            }
            LogEvent::Ended => self.reading = Reading::Ended,
        }
    }

    /// Adds `lines` (each batch in time order, batches of several containers interleaving) and
    /// keeps the newest [`MAX_LINES`].
    fn merge(&mut self, lines: Vec<LogLine>) {
        let in_order = match (self.lines.last(), lines.first()) {
            (Some(last), Some(first)) => last.at <= first.at,
            _ => true,
        };
        self.lines.extend(lines);
        if !in_order {
            self.lines.sort_by(|a, b| a.at.cmp(&b.at));
        }
        if self.lines.len() > MAX_LINES {
            let excess = self.lines.len() - MAX_LINES;
            self.lines.drain(..excess);
            self.dropped += excess;
        }
    }
}

/// The indexes of the lines whose text, pod or container contains `query` (ignoring case).
pub fn matches(lines: &[LogLine], query: &str) -> Vec<usize> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return Vec::new();
    }
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.text.to_lowercase().contains(&query) || line.pod.to_lowercase().contains(&query))
        .map(|(index, _)| index)
        .collect()
}

/// `text` cut into `(part, is_match)` pieces around each occurrence of `query` (ignoring case).
pub fn highlight(text: &str, query: &str) -> Vec<(String, bool)> {
    let query = query.trim().to_lowercase();
    let lower = text.to_lowercase();
    if query.is_empty() || lower.len() != text.len() {
        let found = !query.is_empty() && lower.contains(&query);
        return vec![(text.to_owned(), found)];
    }
    let mut parts = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&query) {
        let start = from + at;
        if start > from {
            parts.push((text[from..start].to_owned(), false));
        }
        parts.push((text[start..start + query.len()].to_owned(), true));
        from = start + query.len();
    }
    if from < text.len() {
        parts.push((text[from..].to_owned(), false));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(at: &str, pod: &str, text: &str) -> LogLine {
        LogLine { at: at.into(), pod: pod.into(), container: "app".into(), text: text.into() }
    }

    fn reduce(buffer: Rc<LogBuffer>, action: LogAction) -> Rc<LogBuffer> {
        buffer.reduce(action)
    }

    #[test]
    fn batches_of_several_pods_end_up_in_time_order() {
        let mut buffer = reduce(Rc::new(LogBuffer::default()), LogAction::Restart(1));
        buffer = reduce(
            buffer,
            LogAction::Event(1, LogEvent::Lines { lines: vec![line("2", "a", "x"), line("4", "a", "y")] }),
        );
        buffer = reduce(buffer, LogAction::Event(1, LogEvent::Lines { lines: vec![line("3", "b", "z")] }));
        let order: Vec<&str> = buffer.lines.iter().map(|l| l.at.as_str()).collect();
        assert_eq!(order, ["2", "3", "4"]);
    }

    #[test]
    fn events_of_an_old_stream_are_ignored() {
        let buffer = reduce(Rc::new(LogBuffer::default()), LogAction::Restart(2));
        let buffer = reduce(buffer, LogAction::Event(1, LogEvent::Lines { lines: vec![line("1", "a", "old")] }));
        assert!(buffer.lines.is_empty());
    }

    #[test]
    fn the_newest_lines_are_kept_and_the_dropped_counted() {
        let mut buffer = reduce(Rc::new(LogBuffer::default()), LogAction::Restart(1));
        let many: Vec<LogLine> = (0..MAX_LINES + 5).map(|i| line(&format!("{i:08}"), "a", "t")).collect();
        buffer = reduce(buffer, LogAction::Event(1, LogEvent::Lines { lines: many }));
        assert_eq!((buffer.lines.len(), buffer.dropped), (MAX_LINES, 5));
        assert_eq!(buffer.lines[0].at, "00000005");
    }

    #[test]
    fn search_finds_and_marks_every_occurrence_ignoring_case() {
        let lines =
            [line("1", "web-1", "GET /cart 200"), line("2", "web-2", "POST /Cart 500"), line("3", "web-1", "ok")];
        assert_eq!(matches(&lines, "cart"), [0, 1]);
        assert_eq!(matches(&lines, "web-2"), [1]);
        assert!(matches(&lines, "  ").is_empty());
        let parts = highlight("POST /Cart and cart", "CART");
        let marked: Vec<&str> = parts.iter().filter(|(_, m)| *m).map(|(p, _)| p.as_str()).collect();
        assert_eq!(marked, ["Cart", "cart"]);
        assert_eq!(parts.iter().map(|(p, _)| p.as_str()).collect::<String>(), "POST /Cart and cart");
    }
}
