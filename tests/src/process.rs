//! Child processes of a local cluster: started with their output in a log file, stopped with
//! SIGTERM then SIGKILL, and never left behind when their owner is dropped.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use crate::Result;

/// How long a component may take to exit after SIGTERM before it is killed.
const GRACE: Duration = Duration::from_secs(5);

/// One running component of a cluster.
#[derive(Debug)]
pub struct Component {
    /// Name, e.g. `kube-apiserver`.
    pub name: String,
    /// Its log file (stdout and stderr).
    pub log: PathBuf,
    child: Option<Child>,
}

impl Component {
    /// Starts `program` with `args` and extra environment `envs`, output to
    /// `<log_dir>/<name>.log`, in its own process group so that a Ctrl-C meant for a test runner
    /// does not kill it half-way.
    pub fn start(name: &str, program: &Path, args: &[String], envs: &[(&str, &Path)], log_dir: &Path) -> Result<Self> {
        use std::os::unix::process::CommandExt as _;
        let log = log_dir.join(format!("{name}.log"));
        let out = File::create(&log).map_err(crate::error::io(format!("cannot create {}", log.display())))?;
        let err = out.try_clone().map_err(crate::error::io("cannot duplicate a log handle"))?;
        let child = Command::new(program)
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(crate::error::io(format!("cannot start {}", program.display())))?;
        Ok(Self { name: name.to_owned(), log, child: Some(child) })
    }

    /// `Some(status)` if the process has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    /// The process's id, while it is owned.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(std::process::Child::id)
    }

    /// Gives up ownership: the process keeps running after `self` is dropped.
    pub fn detach(mut self) -> Option<u32> {
        self.child.take().map(|c| c.id())
    }

    /// Freezes the process (SIGSTOP): it keeps its sockets open but answers nothing, as a hung
    /// server does.
    pub fn freeze(&self) {
        self.signal(Signal::SIGSTOP);
    }

    /// Lets a frozen process run again (SIGCONT).
    pub fn thaw(&self) {
        self.signal(Signal::SIGCONT);
    }

    fn signal(&self, signal: Signal) {
        if let Some(raw) = self.child.as_ref().and_then(|c| i32::try_from(c.id()).ok()) {
            let _ = kill(Pid::from_raw(raw), signal);
        }
    }

    /// Stops the process: SIGTERM, then SIGKILL after a grace period; waits for it.
    pub fn stop(&mut self) {
        self.thaw();
        if let Some(mut child) = self.child.take() {
            terminate(child.id());
            let _ = child.wait();
        }
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends SIGTERM to the process group led by `pid` (the component and anything it started),
/// then SIGKILL if the leader is still alive after the grace period.
pub fn terminate(pid: u32) {
    let Ok(raw) = i32::try_from(pid) else { return };
    let pid = Pid::from_raw(raw);
    if killpg(pid, Signal::SIGTERM).is_err() && kill(pid, Signal::SIGTERM).is_err() {
        return;
    }
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        if !alive(pid) {
            let _ = killpg(pid, Signal::SIGKILL);
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = killpg(pid, Signal::SIGKILL);
    let _ = kill(pid, Signal::SIGKILL);
}

/// Whether `pid` still runs (a zombie counts as gone).
fn alive(pid: Pid) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    !stat.is_empty() && !stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'))
}

/// Whether the process `pid` runs a program from `dir` (guards against reused pids).
pub fn runs_from(pid: u32, dir: &Path) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe.starts_with(dir))
}
