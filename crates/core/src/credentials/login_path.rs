//! The PATH a credential plugin is looked up on: the user's login-shell PATH, read once per
//! process (an app started from a desktop menu inherits a PATH without the shell's additions,
//! where `aws`, `gke-gcloud-auth-plugin` or `kubelogin` usually live), merged with the
//! process's own.

use std::ffi::OsString;
use std::process::Stdio;
use std::time::Duration;

use tokio::sync::OnceCell;

/// How long the login shell may take to print its environment before the process's PATH is used alone.
const LOGIN_SHELL_TIMEOUT: Duration = Duration::from_secs(3);

static SEARCH_PATH: OnceCell<OsString> = OnceCell::const_new();

/// The PATH plugins are looked up on and run with: the login shell's entries first, then the
/// process's entries it lacks. The shell runs once per process; a shell that fails or takes
/// longer than 3 s leaves the process's PATH.
pub async fn search_path() -> &'static OsString {
    SEARCH_PATH
        .get_or_init(|| async {
            let own = std::env::var_os("PATH").unwrap_or_default();
            match login_shell_path().await {
                Some(login) => merge(&login, &own),
                None => own,
            }
        })
        .await
}

/// The PATH of `$SHELL -l` (else `/bin/sh -l`), or `None` when it cannot be read in time.
async fn login_shell_path() -> Option<OsString> {
    let shell = std::env::var_os("SHELL").filter(|s| !s.is_empty()).unwrap_or_else(|| "/bin/sh".into());
    let run = tokio::process::Command::new(&shell)
        .args(["-l", "-c", "env"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = match tokio::time::timeout(LOGIN_SHELL_TIMEOUT, run).await {
        Ok(Ok(output)) if output.status.success() => output,
        outcome => {
            let why = match outcome {
                Err(_) => "timed out".to_owned(),
                Ok(Err(error)) => error.to_string(),
                Ok(Ok(output)) => format!("exited with {}", output.status),
            };
            tracing::info!(shell = %shell.to_string_lossy(), why, "login shell PATH not read; using the process's");
            return None;
        }
    };
    path_in_env_listing(&String::from_utf8_lossy(&output.stdout)).map(OsString::from)
}

/// The value of the last `PATH=` line of an `env` listing (a profile may print lines of its own first).
fn path_in_env_listing(listing: &str) -> Option<&str> {
    listing.lines().rev().find_map(|line| line.strip_prefix("PATH=")).filter(|path| !path.is_empty())
}

/// `first`'s entries, then those of `then` that `first` lacks.
fn merge(first: &OsString, then: &OsString) -> OsString {
    let mut entries: Vec<_> = std::env::split_paths(first).collect();
    for entry in std::env::split_paths(then) {
        if !entries.contains(&entry) {
            entries.push(entry);
        }
    }
    std::env::join_paths(entries).unwrap_or_else(|_| first.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_path_line_of_the_listing_is_read() {
        let listing = "Welcome back!\nPATH=/noise\nHOME=/home/me\nPATH=/home/me/bin:/usr/bin\nSHLVL=1\n";
        assert_eq!(path_in_env_listing(listing), Some("/home/me/bin:/usr/bin"));
        assert_eq!(path_in_env_listing("HOME=/home/me\n"), None);
    }

    #[test]
    fn login_entries_come_first_and_none_repeats() {
        let merged = merge(&"/home/me/.local/bin:/usr/bin".into(), &"/usr/bin:/bin".into());
        assert_eq!(merged, OsString::from("/home/me/.local/bin:/usr/bin:/bin"));
    }
}
