//! A clean Debian root for installing Tenantry's package as a user's machine would: a bookworm
//! `minbase` made once with debootstrap from Debian's mirror and kept as a tarball in the build
//! cache, unpacked afresh for each test, with `/proc`, `/sys` and `/dev` mounted, the X server's
//! socket shared, and the package archives downloaded once and kept. Needs root (or `sudo -n`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::Result;
use crate::error::Error;

/// The Debian release the root is made of (the project's own, bookworm).
const SUITE: &str = "bookworm";
/// Where debootstrap and apt fetch from.
const MIRROR: &str = "http://deb.debian.org/debian";

/// An unpacked root with its mounts; dropping it unmounts them and deletes it.
#[derive(Debug)]
pub struct Chroot {
    /// The root folder.
    pub root: PathBuf,
    mounts: Vec<PathBuf>,
}

impl Chroot {
    /// Unpacks a fresh root at `root` (making the cached base first if there is none) and mounts
    /// what programs in it need; `x11` (the X server's socket folder) is shared when given.
    pub fn new(root: &Path, x11: Option<&Path>) -> Result<Self> {
        let base = base_tarball()?;
        std::fs::create_dir_all(root).map_err(crate::error::io(format!("cannot create {}", root.display())))?;
        privileged("tar", &["-xpf", &base.display().to_string(), "-C", &root.display().to_string()])?;
        let mut chroot = Self { root: root.to_owned(), mounts: Vec::new() };
        chroot.mount(&["-t", "proc", "proc"], "proc")?;
        chroot.mount(&["-t", "sysfs", "sys"], "sys")?;
        chroot.mount(&["--rbind", "/dev"], "dev")?;
        let archives = build_cache().join("apt-archives");
        std::fs::create_dir_all(archives.join("partial"))
            .map_err(crate::error::io("cannot create the archive cache"))?;
        chroot.mount(&["--bind", &archives.display().to_string()], "var/cache/apt/archives")?;
        if let Some(x11) = x11 {
            chroot.mount(&["--bind", &x11.display().to_string()], "tmp/.X11-unix")?;
        }
        privileged("cp", &["/etc/resolv.conf", &root.join("etc/resolv.conf").display().to_string()])?;
        Ok(chroot)
    }

    fn mount(&mut self, how: &[&str], at: &str) -> Result<()> {
        let target = self.root.join(at);
        privileged("mkdir", &["-p", &target.display().to_string()])?;
        let mut args: Vec<&str> = how.to_vec();
        let target_text = target.display().to_string();
        args.push(&target_text);
        privileged("mount", &args)?;
        self.mounts.push(target);
        Ok(())
    }

    /// `program` with `args` inside the root, with exactly the environment `env` (as a desktop
    /// session's launcher would give it).
    pub fn command(&self, env: &[(&str, &str)], program: &str, args: &[&str]) -> Command {
        let mut command = privileged_command("chroot");
        command.arg(&self.root).arg("/usr/bin/env").arg("-i");
        for (name, value) in env {
            command.arg(format!("{name}={value}"));
        }
        command.arg(program).args(args);
        command
    }

    /// Runs [`Self::command`]; its output, whatever its exit.
    pub fn run(&self, env: &[(&str, &str)], program: &str, args: &[&str]) -> Result<Output> {
        self.command(env, program, args)
            .output()
            .map_err(crate::error::io(format!("cannot run {program} in the clean root")))
    }

    /// Like [`Self::run`] with apt's environment; fails unless it succeeds.
    pub fn apt(&self, args: &[&str]) -> Result<Output> {
        let env = [("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), ("DEBIAN_FRONTEND", "noninteractive"), ("HOME", "/root")];
        let output = self.run(&env, "apt-get", args)?;
        if !output.status.success() {
            return Err(Error::CleanRoot(format!(
                "apt-get {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(output)
    }
}

impl Drop for Chroot {
    fn drop(&mut self) {
        let unmounted = self
            .mounts
            .iter()
            .rev()
            .all(|target| privileged("umount", &["-R", "-l", &target.display().to_string()]).is_ok());
        // A mount left in place would let the removal reach the host's own files through it.
        if unmounted {
            let _ = privileged("rm", &["-rf", "--one-file-system", &self.root.display().to_string()]);
        } else {
            eprintln!("the clean root {} is left in place: a mount in it could not be undone", self.root.display());
        }
    }
}

/// The cached base root as a tarball, made with debootstrap (and its package lists fetched) the
/// first time.
fn base_tarball() -> Result<PathBuf> {
    let cache = build_cache().join("chroot");
    let tarball = cache.join(format!("{SUITE}-minbase.tar"));
    if tarball.exists() {
        return Ok(tarball);
    }
    std::fs::create_dir_all(&cache).map_err(crate::error::io(format!("cannot create {}", cache.display())))?;
    let making = cache.join("making");
    let _ = privileged("rm", &["-rf", &making.display().to_string()]);
    let making_text = making.display().to_string();
    privileged("debootstrap", &["--variant=minbase", SUITE, &making_text, MIRROR])?;
    let partial = cache.join(format!("{SUITE}-minbase.tar.partial"));
    privileged("tar", &["-cpf", &partial.display().to_string(), "-C", &making_text, "."])?;
    std::fs::rename(&partial, &tarball).map_err(crate::error::io("cannot keep the base root"))?;
    let _ = privileged("rm", &["-rf", &making_text]);
    Ok(tarball)
}

/// The build cache outside the checkout (`$TENANTRY_CACHE`, as `scripts/env.sh` sets it).
fn build_cache() -> PathBuf {
    std::env::var_os("TENANTRY_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"));
        cache.join("tenantry")
    })
}

/// `program` as root: itself when this process is root, else through `sudo -n`.
fn privileged_command(program: &str) -> Command {
    if nix::unistd::geteuid().is_root() {
        Command::new(program)
    } else {
        let mut command = Command::new("sudo");
        command.arg("-n").arg(program);
        command
    }
}

/// Runs `program` as root; fails with its stderr unless it succeeds.
fn privileged(program: &str, args: &[&str]) -> Result<()> {
    let output = privileged_command(program)
        .args(args)
        .output()
        .map_err(crate::error::io(format!("cannot run {program} (root, or sudo without a password, is needed)")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::CleanRoot(format!(
            "{program} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}
