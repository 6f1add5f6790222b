//! Real local Kubernetes clusters for Tenantry's tests, demos and benchmarks.
//!
//! Each cluster is etcd, kube-apiserver (RBAC on), kube-controller-manager, kube-scheduler and
//! KWOK on loopback ports, built from the upstream Go modules by `tests/cluster/build-k8s.sh`.
//! A [`fleet::Fleet`] starts several side by side and writes one kubeconfig with an admin and a
//! help-desk context per cluster; [`seed`] fills them with tenants following DESIGN.md's model.

pub mod actions;
pub mod apply;
pub mod binaries;
pub mod chroot;
pub mod cluster;
pub mod command;
pub mod desktop;
pub mod dex;
pub mod error;
pub mod existing;
pub mod fleet;
pub mod identity;
pub mod pod_logs;
pub mod poll;
pub mod ports;
pub mod process;
mod random;
pub mod script;
pub mod seed;
pub mod window;

pub use error::{Error, Result};
