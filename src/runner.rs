//! Runs work on many hosts at once: at most `workers` in flight, started in inventory order,
//! each under its own deadline, each with its own register of connections.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::connection::{BoxFuture, HostConnections, Plugins, Target};
use crate::result::{HostResult, Node, Status};

/// One host to run: its name and each plugin's resolved target.
#[derive(Clone, Debug)]
pub struct HostJob {
    /// Inventory name.
    pub name: String,
    /// Resolved targets by plugin name.
    pub targets: HashMap<String, Target>,
}

/// A host while it runs: its connections and the nodes produced so far (kept on timeout).
pub struct HostRun {
    /// Inventory name.
    pub host: String,
    /// The host's connections.
    pub connections: HostConnections,
    /// Results so far.
    pub nodes: Vec<Node>,
}

/// What to do on each host.
pub type Work = Arc<dyn for<'a> Fn(&'a mut HostRun) -> BoxFuture<'a, ()> + Send + Sync>;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Hosts in flight at once.
    pub workers: usize,
    /// Per-host deadline.
    pub timeout: Option<Duration>,
}

/// Runs `work` on every job and returns one result per job, in job order.
pub async fn run(
    jobs: Vec<HostJob>,
    plugins: Plugins,
    config: RunConfig,
    work: Work,
) -> Vec<HostResult> {
    let permits = Arc::new(Semaphore::new(config.workers.max(1)));
    let mut handles = Vec::with_capacity(jobs.len());
    for job in jobs {
        // Acquiring before spawning keeps the start order equal to the inventory order.
        let permit = match permits.clone().acquire_owned().await {
            Ok(permit) => permit,
            Err(_) => break,
        };
        let name = job.name.clone();
        let plugins = plugins.clone();
        let work = work.clone();
        let timeout = config.timeout;
        let handle = tokio::spawn(async move {
            let result = run_host(job, plugins, timeout, work).await;
            drop(permit);
            result
        });
        handles.push((name, handle));
    }
    let mut results = Vec::with_capacity(handles.len());
    for (name, handle) in handles {
        results.push(match handle.await {
            Ok(result) => result,
            Err(err) => {
                let why = if err.is_panic() {
                    let payload = err.into_panic();
                    let text = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".to_string());
                    format!("internal error while running this host (a netrun bug): {text}")
                } else {
                    "the host's task was cancelled".to_string()
                };
                let mut node = Node::new("run", Status::Failed, Duration::ZERO);
                node.error = Some(why);
                HostResult::from_nodes(name, vec![node], Duration::ZERO)
            }
        });
    }
    results
}

async fn run_host(
    job: HostJob,
    plugins: Plugins,
    timeout: Option<Duration>,
    work: Work,
) -> HostResult {
    let started = Instant::now();
    let mut run = HostRun {
        host: job.name.clone(),
        connections: HostConnections::new(plugins, job.targets),
        nodes: Vec::new(),
    };
    let finished = match timeout {
        Some(limit) => tokio::time::timeout(limit, work(&mut run)).await.is_ok(),
        None => {
            work(&mut run).await;
            true
        }
    };
    if !finished {
        let mut node = Node::new("deadline", Status::Timeout, started.elapsed());
        node.error = Some(format!(
            "host deadline of {} s passed; the host was cancelled",
            timeout.map(|t| t.as_secs_f64()).unwrap_or_default()
        ));
        run.nodes.push(node);
    }
    // Closed here, outside the deadline, so a cancelled host never leaves a connection open.
    run.connections.close_all().await;
    let mut result = HostResult::from_nodes(job.name, run.nodes, started.elapsed());
    result.connections = run.connections.opened;
    result.events = run.connections.events;
    result
}
