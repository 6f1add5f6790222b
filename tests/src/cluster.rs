//! One local Kubernetes control plane: etcd, kube-apiserver (RBAC on), controller-manager,
//! scheduler and KWOK with a few fake Nodes, all on free loopback ports. KWOK also serves the
//! kubelet's log endpoint (TLS, its own port per cluster) for the pods its `Logs` and
//! `ClusterLogs` objects point at files, so `pods/log` works through the API server.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, ServiceAccount};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::binaries::Binaries;
use crate::process::Component;
use crate::{Error, Result};

/// How long each component may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Fake nodes KWOK manages in every cluster.
const NODES: usize = 3;

/// Field manager of the objects a cluster's start applies (nodes, CRDs, the StorageClass), so
/// starting again on a kept data folder changes nothing.
const MANAGER: &str = "tenantry-testenv";

/// A running local cluster. Dropping it stops every process it started.
#[derive(Debug)]
pub struct LocalCluster {
    /// Cluster name (also the kubeconfig cluster entry).
    pub name: String,
    /// Its folder: data, certificates, logs, admin kubeconfig.
    pub dir: PathBuf,
    /// API server URL, `https://127.0.0.1:<port>`.
    pub server: String,
    /// PEM bundle of the API server's self-signed certificate and its CA.
    pub ca_pem: Vec<u8>,
    /// Bearer token of the admin identity (group `system:masters`).
    pub admin_token: String,
    /// Bearer token of the audited identity (user `audited`, group `system:masters`): the API
    /// server logs each of its requests, and only its, to `logs/audit.log`.
    pub audited_token: String,
    components: Vec<Component>,
    /// How the API server was started (program and arguments), to start it again.
    apiserver: (PathBuf, Vec<String>),
}

impl LocalCluster {
    /// Starts a cluster named `name` in `dir` and waits until it can run pods.
    pub async fn start(binaries: &Binaries, name: &str, dir: &Path) -> Result<Self> {
        Self::start_with(binaries, name, dir, &[]).await
    }

    /// As [`Self::start`], the API server given `apiserver_extra` flags too (an OIDC issuer).
    pub async fn start_with(binaries: &Binaries, name: &str, dir: &Path, apiserver_extra: &[String]) -> Result<Self> {
        let started = Instant::now();
        for sub in ["etcd", "pki", "logs"] {
            std::fs::create_dir_all(dir.join(sub))
                .map_err(crate::error::io(format!("cannot create {}", dir.display())))?;
        }
        let ports = crate::ports::reserve(6)?;
        let (etcd_port, peer_port, api_port, kcm_port, sched_port, node_port) =
            (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]);
        let admin_token = random_token()?;
        let audited_token = random_token()?;
        write(
            dir.join("tokens.csv"),
            format!(
                "{admin_token},admin,admin,system:masters\n{audited_token},{AUDITED_USER},audited,system:masters\n"
            ),
        )?;
        write(dir.join("audit-policy.yaml"), audit_policy())?;
        let key = rcgen::KeyPair::generate().map_err(Error::Key)?;
        write(dir.join("pki/sa.key"), key.serialize_pem())?;
        write(dir.join("pki/sa.pub"), key.public_key_pem())?;
        let kubelet = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .map_err(Error::Key)?;
        write(dir.join("pki/kwok.crt"), kubelet.cert.pem())?;
        write(dir.join("pki/kwok.key"), kubelet.signing_key.serialize_pem())?;

        let mut cluster = Self {
            name: name.to_owned(),
            dir: dir.to_owned(),
            server: format!("https://127.0.0.1:{api_port}"),
            ca_pem: Vec::new(),
            admin_token,
            audited_token,
            components: Vec::new(),
            apiserver: (binaries.path("kube-apiserver"), Vec::new()),
        };
        let path = |p: &str| dir.join(p).display().to_string();
        let etcd_url = format!("http://127.0.0.1:{etcd_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        cluster.spawn(
            binaries,
            "etcd",
            &[
                "--name=etcd".into(),
                format!("--data-dir={}", path("etcd")),
                format!("--listen-client-urls={etcd_url}"),
                format!("--advertise-client-urls={etcd_url}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster=etcd={peer_url}"),
                "--unsafe-no-fsync=true".into(),
                "--log-level=warn".into(),
            ],
        )?;
        cluster.wait_tcp("etcd", etcd_port).await?;
        let mut apiserver_args = vec![
            format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={api_port}"),
            format!("--cert-dir={}", path("pki")),
            "--authorization-mode=RBAC".into(),
            format!("--token-auth-file={}", path("tokens.csv")),
            format!("--audit-policy-file={}", path("audit-policy.yaml")),
            format!("--audit-log-path={}", path("logs/audit.log")),
            "--service-account-issuer=https://kubernetes.default.svc".into(),
            format!("--service-account-key-file={}", path("pki/sa.pub")),
            format!("--service-account-signing-key-file={}", path("pki/sa.key")),
            "--service-cluster-ip-range=10.96.0.0/16".into(),
            "--allow-privileged=true".into(),
            "--enable-priority-and-fairness=false".into(),
            // KWOK's nodes carry 127.0.0.1 as their InternalIP and its log endpoint's port.
            "--kubelet-preferred-address-types=InternalIP".into(),
            "--profiling=false".into(),
            "--v=0".into(),
        ];
        apiserver_args.extend_from_slice(apiserver_extra);
        cluster.spawn(binaries, "kube-apiserver", &apiserver_args)?;
        cluster.apiserver.1 = apiserver_args;
        let ca_file = dir.join("pki/apiserver.crt");
        cluster.ca_pem = cluster.wait_certificate("kube-apiserver", &ca_file).await?;
        let admin_kubeconfig = dir.join("admin.kubeconfig");
        write(&admin_kubeconfig, admin_kubeconfig_yaml(&cluster, &ca_file))?;
        let client = cluster.admin_client().await?;
        cluster.wait_ready(&client).await?;
        cluster.install_log_crds(binaries, &client).await?;

        let kubeconfig_arg = format!("--kubeconfig={}", admin_kubeconfig.display());
        cluster.spawn(
            binaries,
            "kube-controller-manager",
            &[
                kubeconfig_arg.clone(),
                format!("--service-account-private-key-file={}", path("pki/sa.key")),
                format!("--root-ca-file={}", ca_file.display()),
                "--leader-elect=false".into(),
                "--bind-address=127.0.0.1".into(),
                format!("--secure-port={kcm_port}"),
                "--use-service-account-credentials=false".into(),
                format!("--cluster-name={name}"),
                // Provisions hostPath volumes for claims of the default StorageClass, so tenants
                // with media volumes schedule (KWOK never mounts them).
                "--enable-hostpath-provisioner=true".into(),
                // The default client limit (20 requests/s) makes bulk work wait on the
                // controllers rather than measure Tenantry; production clusters raise it too.
                "--kube-api-qps=500".into(),
                "--kube-api-burst=1000".into(),
            ],
        )?;
        cluster.spawn(
            binaries,
            "kube-scheduler",
            &[
                kubeconfig_arg.clone(),
                "--leader-elect=false".into(),
                "--bind-address=127.0.0.1".into(),
                format!("--secure-port={sched_port}"),
                "--kube-api-qps=500".into(),
                "--kube-api-burst=1000".into(),
                // A pod found unschedulable because the scheduler's cache lagged (a volume bound
                // to a PV it had not seen yet, as after an API server restart) is retried within
                // 30 s instead of the default 5 min, longer than any test waits for a rollout.
                "--pod-max-in-unschedulable-pods-duration=30s".into(),
            ],
        )?;
        cluster.spawn(
            binaries,
            "kwok",
            &[
                kubeconfig_arg,
                "--manage-all-nodes=true".into(),
                "--node-lease-duration-seconds=40".into(),
                "--cidr=10.244.0.1/16".into(),
                "--node-ip=127.0.0.1".into(),
                format!("--node-port={node_port}"),
                format!("--server-address=127.0.0.1:{node_port}"),
                format!("--tls-cert-file={}", path("pki/kwok.crt")),
                format!("--tls-private-key-file={}", path("pki/kwok.key")),
                "--enable-crds=Logs,ClusterLogs".into(),
            ],
        )?;
        cluster.create_nodes(&client).await?;
        create_storage_class(&client).await?;
        cluster.wait_default_service_account(&client).await?;
        tracing::info!(cluster = name, server = %cluster.server, seconds = started.elapsed().as_secs_f32(), "cluster ready");
        Ok(cluster)
    }

    /// How many requests of the audited identity the API server has logged.
    pub fn audited_requests(&self) -> usize {
        std::fs::read_to_string(self.dir.join("logs/audit.log")).map(|log| log.lines().count()).unwrap_or(0)
    }

    /// A client with the admin identity, through Tenantry's own kubeconfig loader.
    pub async fn admin_client(&self) -> Result<kube::Client> {
        client_for(&self.dir.join("admin.kubeconfig"), None).await
    }

    /// Process ids of the running components, giving up ownership (used by `testenv up`).
    pub fn detach(mut self) -> Vec<u32> {
        self.components.drain(..).rev().filter_map(Component::detach).collect()
    }

    /// Stops the API server (the rest keeps running), as when a cluster's control plane is down.
    pub fn stop_apiserver(&mut self) {
        if let Some(apiserver) = self.components.iter_mut().find(|c| c.name == "kube-apiserver") {
            apiserver.stop();
        }
    }

    /// Freezes the API server with SIGSTOP: its sockets stay open and nothing answers, as when a
    /// control plane hangs (a stopped process would refuse connections instead).
    pub fn freeze_apiserver(&self) {
        if let Some(apiserver) = self.components.iter().find(|c| c.name == "kube-apiserver") {
            apiserver.freeze();
        }
    }

    /// Lets a frozen API server answer again.
    pub fn thaw_apiserver(&self) {
        if let Some(apiserver) = self.components.iter().find(|c| c.name == "kube-apiserver") {
            apiserver.thaw();
        }
    }

    /// Starts the API server again on the same port and waits until it is ready.
    pub async fn start_apiserver(&mut self) -> Result<()> {
        let (program, args) = self.apiserver.clone();
        let started = Component::start("kube-apiserver", &program, &args, &[], &self.dir.join("logs"))?;
        match self.components.iter_mut().find(|c| c.name == "kube-apiserver") {
            Some(slot) => *slot = started,
            None => self.components.push(started),
        }
        let client = self.admin_client().await?;
        self.wait_ready(&client).await
    }

    /// Stops every component, newest first.
    pub fn stop(&mut self) {
        while let Some(mut component) = self.components.pop() {
            component.stop();
        }
    }

    fn spawn(&mut self, binaries: &Binaries, name: &str, args: &[String]) -> Result<()> {
        let component = Component::start(name, &binaries.path(name), args, &[], &self.dir.join("logs"))?;
        self.components.push(component);
        Ok(())
    }

    fn check_alive(&mut self) -> Result<()> {
        for c in &mut self.components {
            if let Some(status) = c.exited() {
                return Err(Error::Exited {
                    cluster: self.name.clone(),
                    component: c.name.clone(),
                    status,
                    tail: log_tail(&c.log),
                    log: c.log.clone(),
                });
            }
        }
        Ok(())
    }

    fn not_ready(&self, component: &str) -> Error {
        Error::NotReady {
            cluster: self.name.clone(),
            component: component.to_owned(),
            seconds: READY_TIMEOUT.as_secs(),
            log: self.dir.join("logs").join(format!("{component}.log")),
        }
    }

    async fn wait_tcp(&mut self, component: &str, port: u16) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            self.check_alive()?;
            if Instant::now() > deadline {
                return Err(self.not_ready(component));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Waits until `file` holds whole PEM certificates (the API server creates the file before
    /// it writes it, so existing is not enough) and returns its content.
    async fn wait_certificate(&mut self, component: &str, file: &Path) -> Result<Vec<u8>> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(pem) = std::fs::read(file)
                && is_complete_pem(&pem)
            {
                return Ok(pem);
            }
            self.check_alive()?;
            if Instant::now() > deadline {
                return Err(self.not_ready(component));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_ready(&mut self, client: &kube::Client) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let request = http::Request::get("/readyz")
                .body(Vec::new())
                .map_err(|e| Error::Encoding { what: "the readyz request".into(), source: Box::new(e) })?;
            if client.request_text(request).await.is_ok_and(|body| body.trim() == "ok") {
                return Ok(());
            }
            self.check_alive()?;
            if Instant::now() > deadline {
                return Err(self.not_ready("kube-apiserver"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates KWOK's `Logs` and `ClusterLogs` CRDs and waits until the API server serves them
    /// (KWOK watches them from its start).
    async fn install_log_crds(&mut self, binaries: &Binaries, client: &kube::Client) -> Result<()> {
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        let mut names = Vec::new();
        for file in [crate::pod_logs::LOGS_CRD, crate::pod_logs::CLUSTER_LOGS_CRD] {
            let path = binaries.crd(file);
            let text =
                std::fs::read_to_string(&path).map_err(crate::error::io(format!("cannot read {}", path.display())))?;
            let crd: serde_json::Value = serde_yaml::from_str(&text)
                .map_err(|e| Error::Encoding { what: path.display().to_string(), source: Box::new(e) })?;
            let name = crd["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            crate::apply::apply(crds.clone(), MANAGER, &name, crd).await?;
            names.push(name);
        }
        let deadline = Instant::now() + READY_TIMEOUT;
        for name in names {
            loop {
                let established = crds.get_opt(&name).await.ok().flatten().is_some_and(|crd| {
                    crd.status
                        .and_then(|s| s.conditions)
                        .unwrap_or_default()
                        .iter()
                        .any(|c| c.type_ == "Established" && c.status == "True")
                });
                if established {
                    break;
                }
                self.check_alive()?;
                if Instant::now() > deadline {
                    return Err(self.not_ready("kube-apiserver"));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }

    async fn create_nodes(&self, client: &kube::Client) -> Result<()> {
        let nodes: Api<Node> = Api::all(client.clone());
        for i in 0..NODES {
            let name = format!("kwok-node-{i}");
            let node = json!({
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "labels": {"type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
                    "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                },
            });
            crate::apply::apply(nodes.clone(), MANAGER, &name, node).await?;
            let capacity = json!({"cpu": "1000", "memory": "4Ti", "pods": "5000"});
            let status = json!({"status": {"capacity": capacity, "allocatable": capacity}});
            nodes
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
                .await
                .map_err(crate::error::kube(format!("cannot set the capacity of node {name}")))?;
        }
        Ok(())
    }

    async fn wait_default_service_account(&mut self, client: &kube::Client) -> Result<()> {
        let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
        let deadline = Instant::now() + READY_TIMEOUT;
        while accounts.get_opt("default").await.ok().flatten().is_none() {
            self.check_alive()?;
            if Instant::now() > deadline {
                return Err(self.not_ready("kube-controller-manager"));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Marks every node of the cluster behind `client` unschedulable (`true`, so new pods wait) or
/// schedulable again, as `kubectl cordon` / `uncordon` do.
pub async fn cordon(client: &kube::Client, unschedulable: bool) -> Result<()> {
    let nodes = Api::<Node>::all(client.clone());
    let listed =
        nodes.list(&kube::api::ListParams::default()).await.map_err(crate::error::kube("cannot list nodes"))?;
    for node in listed.items {
        let name = node.metadata.name.unwrap_or_default();
        let patch = json!({"spec": {"unschedulable": unschedulable}});
        nodes
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(crate::error::kube(format!("cannot cordon node {name}")))?;
    }
    Ok(())
}

/// A kube client for `context` (else the current context) of the kubeconfig file at `path`,
/// through Tenantry's own loader.
pub async fn client_for(path: &Path, context: Option<&str>) -> Result<kube::Client> {
    use tenantry_core::kubeconfig::{Kubeconfig, Sources};
    let kubeconfig = Kubeconfig::load(&Sources::Explicit(path.to_owned()))
        .map_err(|e| Error::Encoding { what: path.display().to_string(), source: Box::new(e) })?;
    let entry = kubeconfig
        .contexts()
        .into_iter()
        .find(|c| context.map_or(c.current, |name| c.name == name))
        .ok_or_else(|| Error::NoContext(context.map(str::to_owned)))?;
    entry.client().await.map_err(Error::Kubeconfig)
}

fn admin_kubeconfig_yaml(cluster: &LocalCluster, ca_file: &Path) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\n\
         users:\n- name: admin\n  user:\n    token: {token}\ncontexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: admin\n\
         current-context: {name}\n",
        name = cluster.name,
        server = cluster.server,
        ca = ca_file.display(),
        token = cluster.admin_token,
    )
}

fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> Result<()> {
    let path = path.as_ref();
    std::fs::write(path, contents).map_err(crate::error::io(format!("cannot write {}", path.display())))
}

/// The default StorageClass, served by the controller-manager's hostPath provisioner.
async fn create_storage_class(client: &kube::Client) -> Result<()> {
    let class = json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "kubernetes.io/host-path",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    });
    crate::apply::apply(Api::<StorageClass>::all(client.clone()), MANAGER, "standard", class).await
}

/// Whether `pem` holds at least one certificate and every one that begins also ends.
fn is_complete_pem(pem: &[u8]) -> bool {
    let text = String::from_utf8_lossy(pem);
    let begins = text.matches("-----BEGIN CERTIFICATE-----").count();
    begins > 0 && begins == text.matches("-----END CERTIFICATE-----").count()
}

/// The last lines of a component's log, or why it cannot be read.
fn log_tail(log: &Path) -> String {
    const LINES: usize = 12;
    match std::fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(LINES)..].join("\n")
        }
        Err(e) => format!("(cannot read the log: {e})"),
    }
}

/// 32 hex characters from the kernel's random source.
/// The user name of the audited identity.
const AUDITED_USER: &str = "audited";

/// Logs the audited identity's requests (once each, when answered) and nobody else's.
fn audit_policy() -> String {
    format!(
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived, ResponseStarted]\n\
         rules:\n- level: Metadata\n  users: [{AUDITED_USER}]\n- level: None\n"
    )
}

/// 16 random bytes in hex: a bearer token or a client secret.
pub(crate) fn random_token() -> Result<String> {
    Ok(crate::random::bytes(16)?.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::is_complete_pem;

    #[test]
    fn a_certificate_file_counts_once_it_is_written_whole() {
        let whole = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert!(is_complete_pem(whole));
        assert!(!is_complete_pem(b""));
        assert!(!is_complete_pem(&whole[..30]));
    }
}
