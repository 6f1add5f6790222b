//! A tenant's pod logs: what to read, the lines read, and the stream the window and the CLI
//! receive them on.

use serde::{Deserialize, Serialize};

/// Which logs of a tenant to read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogRequest {
    /// Only the pods of this workload (Deployment or StatefulSet); default every workload's.
    pub workload: Option<String>,
    /// Only this pod.
    pub pod: Option<String>,
    /// The log of each container before its last restart instead of the running one.
    pub previous: bool,
    /// The last N lines of each container.
    pub tail: Option<u32>,
    /// Only lines of the last N seconds.
    pub since_seconds: Option<u64>,
    /// Keep the stream open and send lines as they are written.
    pub follow: bool,
}

/// One line of a container's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// When it was written: RFC 3339 in UTC with nine fraction digits, so that comparing the
    /// text orders lines in time.
    pub at: String,
    /// The pod.
    pub pod: String,
    /// The container.
    pub container: String,
    /// What it says.
    pub text: String,
}

/// One container a log request reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSource {
    /// The pod.
    pub pod: String,
    /// The container.
    pub container: String,
}

/// What a log request streams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogEvent {
    /// The containers being read.
    Started {
        /// Each pod and container.
        sources: Vec<LogSource>,
    },
    /// Lines read, in time order within the batch.
    Lines {
        /// The lines.
        lines: Vec<LogLine>,
    },
    /// One container's log cannot be read (e.g. it has no previous log); the others go on.
    Unreadable {
        /// The container.
        source: LogSource,
        /// Why, in words.
        message: String,
    },
    /// Every container's log was read to its end (a follow ends when its pods do).
    Ended,
}
