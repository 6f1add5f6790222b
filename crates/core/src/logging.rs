//! Logging with tracing: to stderr and to a daily-rotated file in the app's data folder.
//!
//! `RUST_LOG` overrides the default filter. Credentials never reach a log line: core logs names
//! of contexts and users, never tokens, keys or passwords, HTTP clients stay at `warn`, and every
//! line passes through `redact` on its way to stderr or the file (a library's own message may
//! quote what it got).

use std::io::{self, IsTerminal as _, Write};
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _, fmt};

/// Default filter of the log file when `RUST_LOG` is not set;
/// kube_client's own connection errors are off: the probe reports them with their context.
pub const DEFAULT_FILTER: &str = "info,kube=warn,kube_client=off,hyper=warn,rustls=warn,tower=warn";
/// Default filter of stderr when `RUST_LOG` is not set: only what needs attention, since the
/// commands print their own results there and the file keeps the rest.
pub const DEFAULT_STDERR_FILTER: &str = "warn,kube_client=off";

/// Log files kept before the oldest is deleted.
const KEPT_FILES: usize = 7;
/// Log lines waiting for the file writer before new ones are dropped: the default (128,000)
/// preallocates 4 MiB that a desktop app's bursts never fill.
const BUFFERED_LINES: usize = 8_192;

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The log folder cannot be created: check the data folder's permissions.
    #[error("cannot create the log folder {}", path.display())]
    Folder {
        /// The folder.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The rotating log file cannot be opened.
    #[error("cannot open the log file in {}", path.display())]
    File {
        /// The folder.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: tracing_appender::rolling::InitError,
    },
    /// A global subscriber is already installed (logging initialised twice).
    #[error("logging is already initialised")]
    AlreadySet(#[source] tracing_subscriber::util::TryInitError),
}

/// Installs the global subscriber: human-readable warnings on stderr, and events from `info` up
/// as JSON lines in `<log_dir>/tenantry.YYYY-MM-DD.log`. Keep the returned guard alive until exit so that the
/// file is flushed.
pub fn init(log_dir: &Path) -> Result<WorkerGuard, LoggingError> {
    std::fs::create_dir_all(log_dir).map_err(|source| LoggingError::Folder { path: log_dir.to_owned(), source })?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("tenantry")
        .filename_suffix("log")
        .max_log_files(KEPT_FILES)
        .build(log_dir)
        .map_err(|source| LoggingError::File { path: log_dir.to_owned(), source })?;
    let (file_writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(BUFFERED_LINES)
        .finish(appender);
    let filter = |default| EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_writer(Redacting(std::io::stderr))
                .with_ansi(std::io::stderr().is_terminal())
                .with_filter(filter(DEFAULT_STDERR_FILTER)),
        )
        .with(fmt::layer().json().with_writer(Redacting(file_writer)).with_filter(filter(DEFAULT_FILTER)))
        .try_init()
        .map_err(LoggingError::AlreadySet)?;
    Ok(guard)
}

/// Makes writers that blank credentials in what is written (one formatted event per write).
struct Redacting<M>(M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

/// A writer passing each write through `redact::text`.
struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(crate::redact::text(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
