//! One window per data folder: the first launch holds a lock file in the data folder for as long
//! as it runs and listens on a socket beside it; a later launch with the same folder finds the
//! lock taken, asks the running app through the socket to bring its window to the front, and
//! ends (or, when that app is closing, waits and takes the folder over). The lock goes with the
//! process (a crash leaves nothing that blocks the next start), and
//! launches with different data folders (tests) run side by side. Nothing here needs a session
//! bus; a data folder where neither lock nor socket can be made leaves the app running as it is.

use std::fs::{File, TryLockError};
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The lock file the running app holds, in the data folder.
const LOCK_FILE: &str = "window.lock";
/// The socket a later launch asks the running app through, in the data folder.
const SOCKET_FILE: &str = "window.sock";
/// What a later launch writes: bring the window to the front.
const SHOW: &str = "show";
/// How long a later launch tries to reach an app that is still starting.
const REACH_FOR: Duration = Duration::from_secs(10);

/// Whether this launch is the data folder's app.
pub enum Instance {
    /// It is: the lock it holds (kept for the life of the process) and the socket it listens on.
    First {
        /// Held while the app runs.
        lock: File,
        /// Where later launches ask for the window (`None` when the socket cannot be made).
        listener: Option<UnixListener>,
    },
    /// Another app runs with this data folder and brought its window to the front.
    Shown,
    /// Another app holds this data folder but did not answer (why).
    Unreachable(String),
}

/// What the running app answered a later launch.
const SHOWN: &str = "shown";
/// The running app is closing: the later launch waits for the folder instead.
const CLOSING: &str = "closing";

/// Claims the data folder `data_dir` for this launch, or asks the app that holds it to show its
/// window (waiting for the folder while that app is closing); `None` when the folder cannot be
/// locked (the app then runs without the check).
pub fn claim(data_dir: &Path) -> Option<Instance> {
    let opened = std::fs::create_dir_all(data_dir)
        .and_then(|()| File::options().create(true).truncate(false).write(true).open(data_dir.join(LOCK_FILE)));
    let lock = match opened {
        Ok(lock) => lock,
        Err(error) => {
            tracing::warn!(%error, "the data folder cannot be locked; a second window is not prevented");
            return None;
        }
    };
    let socket = data_dir.join(SOCKET_FILE);
    let started = Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) => {
                // A socket file left by an app that crashed is in the way of binding a new one.
                let _ = std::fs::remove_file(&socket);
                let listener = UnixListener::bind(&socket)
                    .inspect_err(|error| {
                        tracing::warn!(%error, "a later launch cannot reach this window; it will say so and end");
                    })
                    .ok();
                return Some(Instance::First { lock, listener });
            }
            Err(TryLockError::WouldBlock) => match ask_to_show(&socket) {
                Ok(answer) if answer == SHOWN => return Some(Instance::Shown),
                Ok(answer) if started.elapsed() >= REACH_FOR => return Some(Instance::Unreachable(answer)),
                Err(error) if started.elapsed() >= REACH_FOR => return Some(Instance::Unreachable(error.to_string())),
                // Still starting, or closing: ask again, or take the folder once it is free.
                _ => std::thread::sleep(Duration::from_millis(200)),
            },
            Err(TryLockError::Error(error)) => {
                tracing::warn!(%error, "the data folder cannot be locked; a second window is not prevented");
                return None;
            }
        }
    }
}

/// Asks the app listening on `socket` to show its window; its answer.
fn ask_to_show(socket: &Path) -> std::io::Result<String> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(format!("{SHOW}\n").as_bytes())?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    Ok(answer.trim().to_owned())
}

/// Serves later launches on `listener` until the app ends: each asks for the window, and
/// `show` brings it to the front — unless `closing` says the app is ending, so the later launch
/// waits to take the folder over.
pub fn serve(listener: UnixListener, closing: Arc<AtomicBool>, show: impl Fn() + Send + 'static) {
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut line = String::new();
            let Ok(reader) = stream.try_clone() else { continue };
            if BufReader::new(reader).read_line(&mut line).is_err() || line.trim() != SHOW {
                continue;
            }
            let answer = if closing.load(Ordering::SeqCst) {
                CLOSING
            } else {
                tracing::info!("a second launch asked for the window");
                show();
                SHOWN
            };
            let _ = stream.write_all(format!("{answer}\n").as_bytes());
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn a_second_claim_of_one_folder_shows_the_first_window_and_another_folder_is_its_own() {
        let dir = tempfile::tempdir().expect("temp dir");
        let Some(Instance::First { lock, listener: Some(listener) }) = claim(dir.path()) else {
            panic!("the first launch holds the folder");
        };
        let (shown, asked) = mpsc::channel();
        let closing = Arc::new(AtomicBool::new(false));
        serve(listener, Arc::clone(&closing), move || shown.send(()).expect("the test listens"));
        assert!(matches!(claim(dir.path()), Some(Instance::Shown)), "a second launch asks the first");
        asked.recv_timeout(Duration::from_secs(5)).expect("the first was asked to show its window");
        let other = tempfile::tempdir().expect("temp dir");
        assert!(matches!(claim(other.path()), Some(Instance::First { .. })), "another folder is its own");

        // While the first closes, a later launch waits and takes the folder once it is free.
        closing.store(true, Ordering::SeqCst);
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(600));
            drop(lock);
        });
        assert!(matches!(claim(dir.path()), Some(Instance::First { .. })), "the folder is taken over");
        release.join().expect("released");
    }
}
