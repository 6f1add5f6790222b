//! `tenantry logs CLUSTER/ID`: the logs of a tenant's pods, merged in time order with the pod
//! and container named on each line; one workload's or one pod's, the previous container's, the
//! last N lines or since a time, followed live.

use std::io::Write as _;
use std::process::ExitCode;

use futures::StreamExt as _;
use tenantry_model::{LogEvent, LogLine, LogRequest};

/// Options of `tenantry logs`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    tenant: crate::selection::OneTenant,
    /// Only the pods of this workload (Deployment or StatefulSet).
    #[arg(long)]
    workload: Option<String>,
    /// Only this pod.
    #[arg(long)]
    pod: Option<String>,
    /// The log of each container before its last restart (what explains a CrashLoopBackOff).
    #[arg(long)]
    previous: bool,
    /// Keep reading and print lines as they are written, until interrupted.
    #[arg(long, short = 'f')]
    follow: bool,
    /// Only lines newer than this, e.g. `30s`, `10m`, `2h`, `1d`.
    #[arg(long, value_parser = parse_since)]
    since: Option<u64>,
    /// The last N lines of each container.
    #[arg(long)]
    tail: Option<u32>,
    /// Print each line's time (RFC 3339, UTC).
    #[arg(long)]
    timestamps: bool,
    /// Print one JSON object per line (`{"at", "pod", "container", "text"}`).
    #[arg(long)]
    json: bool,
}

/// Exit codes: 0 read, 1 the logs cannot be read (unknown tenant, refused, not connected), 2
/// bad input.
pub async fn run(args: Args) -> ExitCode {
    let crate::selection::Watching { fleet, cluster, id } = match args.tenant.watch(false).await {
        Ok(watching) => watching,
        Err(code) => return code,
    };
    let request = LogRequest {
        workload: args.workload.clone(),
        pod: args.pod.clone(),
        previous: args.previous,
        tail: args.tail,
        since_seconds: args.since,
        follow: args.follow,
    };
    let code = match fleet.logs(&cluster, &id, &request).await {
        Ok(events) => print(events, &args).await,
        Err(err) => {
            eprintln!("error: {}", tenantry_core::error::chain(&err));
            if let Some(status) = fleet.clusters().into_iter().find(|c| c.context == cluster)
                && let Some(error) = status.last_error
            {
                crate::output::error(&cluster, &error);
            }
            ExitCode::from(1)
        }
    };
    fleet.shutdown().await;
    code
}

async fn print(events: impl futures::Stream<Item = LogEvent>, args: &Args) -> ExitCode {
    let mut events = std::pin::pin!(events);
    let mut several = false;
    let mut stdout = std::io::stdout().lock();
    while let Some(event) = events.next().await {
        match event {
            LogEvent::Started { sources } => several = sources.len() > 1,
            LogEvent::Lines { lines } => {
                for line in &lines {
                    let text = if args.json { json(line) } else { plain(line, several, args.timestamps) };
                    if writeln!(stdout, "{text}").is_err() {
                        // The reader went away (e.g. `| head`): stop reading.
                        return ExitCode::SUCCESS;
                    }
                }
                let _ = stdout.flush();
            }
            LogEvent::Unreadable { source, message } => {
                eprintln!("warning: {}/{}: {message}", source.pod, source.container);
            }
            LogEvent::Ended => break,
        }
    }
    ExitCode::SUCCESS
}

fn plain(line: &LogLine, prefix: bool, timestamps: bool) -> String {
    let mut text = String::new();
    if timestamps {
        text.push_str(&line.at);
        text.push(' ');
    }
    if prefix {
        text.push_str(&format!("{}/{} ", line.pod, line.container));
    }
    text.push_str(&line.text);
    text
}

fn json(line: &LogLine) -> String {
    serde_json::to_string(line).unwrap_or_default()
}

/// `30s`, `10m`, `2h`, `1d` (or bare seconds) as seconds.
fn parse_since(text: &str) -> Result<u64, String> {
    let (number, unit) = text.find(|c: char| !c.is_ascii_digit()).map_or((text, ""), |at| text.split_at(at));
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration like 30s, 10m, 2h or 1d"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit is s, m, h or d")),
    };
    number.checked_mul(factor).ok_or_else(|| format!("{text:?} is too long ago"))
}

#[cfg(test)]
mod tests {
    use super::parse_since;

    #[test]
    fn since_reads_like_kubectl() {
        assert_eq!(parse_since("90"), Ok(90));
        assert_eq!(parse_since("10m"), Ok(600));
        assert_eq!(parse_since("2h"), Ok(7_200));
        assert_eq!(parse_since("1d"), Ok(86_400));
        assert!(parse_since("10 minutes").is_err());
        assert!(parse_since("-5m").is_err());
        assert!(parse_since("99999999999999999999d").is_err());
    }
}
