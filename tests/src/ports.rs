//! Loopback ports for control-plane components, chosen below the kernel's ephemeral range.
//!
//! A port picked by binding to port 0 comes from the ephemeral range, so between being released
//! and being bound by etcd or the API server it can become the local end of any outgoing
//! connection (tests open many). Ports below that range are never handed out for outgoing
//! connections; a process-wide set keeps clusters started side by side from sharing one.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Mutex, PoisonError};

use crate::{Error, Result};

/// The lowest port considered.
const LOWEST: u16 = 10_000;

/// Where the ephemeral range starts when the kernel does not say.
const DEFAULT_EPHEMERAL_START: u16 = 32_768;

/// Random candidates tried before giving up.
const ATTEMPTS: usize = 2_000;

/// Ports already handed out by this process.
static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// `count` distinct loopback ports that are free now, below the ephemeral range, and not handed
/// out before by this process.
pub fn reserve(count: usize) -> Result<Vec<u16>> {
    let highest = ephemeral_start().saturating_sub(1).max(LOWEST + 1_000);
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(PoisonError::into_inner);
    let handed_out = handed_out.get_or_insert_with(HashSet::new);
    let mut held = Vec::with_capacity(count);
    let mut ports = Vec::with_capacity(count);
    for candidate in random_ports(ATTEMPTS, LOWEST, highest)? {
        if ports.len() == count {
            break;
        }
        if handed_out.contains(&candidate) || ports.contains(&candidate) {
            continue;
        }
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", candidate)) {
            held.push(listener);
            ports.push(candidate);
        }
    }
    if ports.len() < count {
        return Err(Error::NoFreePorts { count, lowest: LOWEST, highest });
    }
    handed_out.extend(&ports);
    Ok(ports)
}

/// First port of the kernel's ephemeral range (`net.ipv4.ip_local_port_range`).
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(DEFAULT_EPHEMERAL_START)
}

/// `count` random ports in `lowest..=highest`, from the kernel's random source.
fn random_ports(count: usize, lowest: u16, highest: u16) -> Result<Vec<u16>> {
    let bytes = crate::random::bytes(count * 2)?;
    let span = u32::from(highest - lowest) + 1;
    Ok(bytes
        .chunks_exact(2)
        .map(|pair| {
            let offset = u32::from(u16::from_le_bytes([pair[0], pair[1]])) % span;
            lowest + u16::try_from(offset).unwrap_or_default()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_bindable_and_below_the_ephemeral_range() {
        let first = reserve(5).expect("ports");
        let second = reserve(5).expect("ports");
        let all: HashSet<u16> = first.iter().chain(&second).copied().collect();
        assert_eq!(all.len(), 10, "no port handed out twice: {first:?} {second:?}");
        assert!(all.iter().all(|p| (LOWEST..ephemeral_start()).contains(p)), "{all:?}");
        for port in all {
            TcpListener::bind(("127.0.0.1", port)).expect("still free");
        }
    }

    #[test]
    fn random_ports_stay_in_range() {
        let ports = random_ports(500, 20_000, 20_009).expect("random");
        assert!(ports.iter().all(|p| (20_000..=20_009).contains(p)));
        assert!(ports.iter().collect::<HashSet<_>>().len() > 5, "spread over the range");
    }
}
