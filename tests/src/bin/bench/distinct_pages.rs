//! The memory all the app's processes hold together, each physical page counted once: resident
//! sizes added up count the libraries the app and WebKit's processes share once per process,
//! and proportional sizes split a page shared with any other program (the C library, Xvfb's
//! fonts) among all of them. The pages come from `/proc/PID/pagemap`, which shows their frame
//! numbers only to a privileged reader; otherwise there is no figure.

use std::collections::HashSet;
use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::path::Path;

/// Page table entries read at once (8 bytes each).
const CHUNK: u64 = 64 * 1024;
/// A pagemap entry's "present in memory" bit.
const PRESENT: u64 = 1 << 63;
/// A pagemap entry's page frame number (bits 0–54).
const FRAME: u64 = (1 << 55) - 1;

/// KiB of distinct physical pages mapped by the processes whose `/proc/PID` folders are
/// `processes`; `None` when the frame numbers are hidden (an unprivileged reader) or a process
/// could not be read.
pub fn distinct_kib(processes: &[&Path]) -> Option<u64> {
    let page =
        nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE).ok().flatten().and_then(|p| u64::try_from(p).ok())?;
    let mut frames = HashSet::new();
    for process in processes {
        frames_of(process, page, &mut frames)?;
    }
    Some(frames.len() as u64 * page / 1024)
}

/// Adds the frames of every present page of `process` to `frames`.
fn frames_of(process: &Path, page: u64, frames: &mut HashSet<u64>) -> Option<()> {
    let maps = std::fs::read_to_string(process.join("maps")).ok()?;
    let pagemap = File::open(process.join("pagemap")).ok()?;
    let mut entries = vec![0_u8; (CHUNK * 8) as usize];
    for line in maps.lines().filter(|line| !line.ends_with("[vsyscall]")) {
        let (start, end) = line.split_whitespace().next()?.split_once('-')?;
        let (start, end) = (u64::from_str_radix(start, 16).ok()? / page, u64::from_str_radix(end, 16).ok()? / page);
        let mut at = start;
        while at < end {
            let count = (end - at).min(CHUNK);
            let bytes = &mut entries[..(count * 8) as usize];
            pagemap.read_exact_at(bytes, at * 8).ok()?;
            for entry in bytes.chunks_exact(8).filter_map(|e| e.try_into().ok()).map(u64::from_ne_bytes) {
                if entry & PRESENT != 0 {
                    match entry & FRAME {
                        0 => return None,
                        frame => frames.insert(frame),
                    };
                }
            }
            at += count;
        }
    }
    Some(())
}
