//! Runs work on many hosts at once: at most `workers` in flight, started in inventory order,
//! each under its own deadline, each with its own register of connections, all cancellable.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

use crate::connection::{BoxFuture, HostConnections, Plugins};
use crate::job::HostJob;
use crate::lab::{DeviceSpec, Lab, LabError};
use crate::result::{HostResult, Node, Status};

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

/// Called as each host finishes (progress bars, ndjson output).
pub type OnDone = Arc<dyn Fn(&HostResult) + Send + Sync>;

/// How to run.
#[derive(Clone)]
pub struct RunConfig {
    /// Hosts in flight at once.
    pub workers: usize,
    /// Per-host deadline.
    pub timeout: Option<Duration>,
    /// Becomes true when the run is interrupted.
    pub cancel: watch::Receiver<bool>,
    /// Told about every finished host, in completion order.
    pub on_done: Option<OnDone>,
    /// `--show-secrets`: leave hosts' secret values in their results.
    pub show_secrets: bool,
}

/// The message on hosts that were running when the run was interrupted.
pub const INTERRUPTED: &str = "interrupted before this host finished";
/// The message on hosts that never started because the run was interrupted.
pub const NOT_STARTED: &str = "not started: the run was interrupted";

async fn cancelled(mut cancel: watch::Receiver<bool>) {
    // An error means the sender is gone: nobody can interrupt any more.
    if cancel.wait_for(|&c| c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Runs `work` on every job against a lab of `devices` (one per job, same order) started on
/// 127.0.0.1 for the run and stopped after it, when given.
pub async fn run_with_lab(
    mut jobs: Vec<HostJob>,
    devices: Option<Vec<DeviceSpec>>,
    plugins: Plugins,
    config: RunConfig,
    work: Work,
) -> Result<Vec<HostResult>, LabError> {
    let lab = match devices {
        Some(devices) => {
            let lab = Lab::start(devices, ([127, 0, 0, 1], 0).into()).await?;
            crate::job::point_at_lab(&mut jobs, &lab.endpoints());
            Some(lab)
        }
        None => None,
    };
    let results = run(jobs, plugins, config, work).await;
    if let Some(lab) = lab {
        lab.shutdown().await;
    }
    Ok(results)
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
    let mut not_started = Vec::new();
    for job in jobs {
        if *config.cancel.borrow() {
            not_started.push(job.name);
            continue;
        }
        // Acquiring before spawning keeps the start order equal to the inventory order.
        // Biased: when an interrupt and a free worker arrive together, the interrupt wins.
        let permit = tokio::select! {
            biased;
            () = cancelled(config.cancel.clone()) => {
                not_started.push(job.name);
                continue;
            }
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let name = job.name.clone();
        let plugins = plugins.clone();
        let work = work.clone();
        let config = config.clone();
        let handle = tokio::spawn(async move {
            let result = run_host(job, plugins, &config, work).await;
            drop(permit);
            if let Some(on_done) = &config.on_done {
                on_done(&result);
            }
            result
        });
        handles.push((name, handle));
    }
    let mut results = Vec::with_capacity(handles.len() + not_started.len());
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
                let result = HostResult::from_nodes(name, vec![node], Duration::ZERO);
                if let Some(on_done) = &config.on_done {
                    on_done(&result);
                }
                result
            }
        });
    }
    for name in not_started {
        let mut node = Node::new("run", Status::Skipped, Duration::ZERO);
        node.error = Some(NOT_STARTED.to_string());
        let result = HostResult::from_nodes(name, vec![node], Duration::ZERO);
        if let Some(on_done) = &config.on_done {
            on_done(&result);
        }
        results.push(result);
    }
    results
}

enum End {
    Finished,
    Deadline,
    Interrupted,
}

async fn run_host(job: HostJob, plugins: Plugins, config: &RunConfig, work: Work) -> HostResult {
    let started = Instant::now();
    let mut run = HostRun {
        host: job.name.clone(),
        connections: HostConnections::new(plugins, job.targets)
            .with_deadline(config.timeout.map(|limit| started + limit)),
        nodes: Vec::new(),
    };
    let deadline = async {
        match config.timeout {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    // The deadline is enforced here, by the runtime, whatever the host's connection is doing.
    crate::diag!(2, "host {}: started", run.host);
    let end = tokio::select! {
        () = work(&mut run) => End::Finished,
        () = deadline => End::Deadline,
        () = cancelled(config.cancel.clone()) => End::Interrupted,
    };
    match end {
        End::Finished => {}
        End::Deadline => {
            let mut node = Node::new("deadline", Status::Timeout, started.elapsed());
            node.error = Some(format!(
                "host deadline of {} s passed; the host was cancelled",
                config.timeout.map(|t| t.as_secs_f64()).unwrap_or_default()
            ));
            run.nodes.push(node);
        }
        End::Interrupted => {
            let mut node = Node::new("interrupted", Status::Failed, started.elapsed());
            node.error = Some(INTERRUPTED.to_string());
            run.nodes.push(node);
        }
    }
    // Closed here, outside the deadline, so a cancelled host never leaves a connection open.
    run.connections.close_all().await;
    let mut result = HostResult::from_nodes(job.name, run.nodes, started.elapsed());
    result.connections = run.connections.opened;
    result.events = run.connections.events;
    if !config.show_secrets {
        result.redact(&crate::secrets::Redactor::new(&job.secrets));
    }
    crate::diag!(
        1,
        "host {}: {} in {} ms ({} connection{} opened)",
        result.host,
        result.status.as_str(),
        result.duration_ms,
        result.connections,
        if result.connections == 1 { "" } else { "s" }
    );
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(names: &[&str]) -> Vec<HostJob> {
        names
            .iter()
            .map(|name| HostJob {
                name: name.to_string(),
                targets: std::collections::HashMap::new(),
                secrets: Vec::new(),
            })
            .collect()
    }

    fn config(workers: usize, timeout: Option<Duration>) -> (watch::Sender<bool>, RunConfig) {
        let (tx, rx) = watch::channel(false);
        let config = RunConfig {
            workers,
            timeout,
            cancel: rx,
            on_done: None,
            show_secrets: false,
        };
        (tx, config)
    }

    #[tokio::test]
    async fn a_panicking_host_fails_alone() {
        let work: Work = Arc::new(|run| {
            Box::pin(async move {
                if run.host == "boom" {
                    panic!("simulated bug");
                }
                run.nodes
                    .push(Node::new("step", Status::Ok, Duration::ZERO));
            })
        });
        let (_tx, config) = config(2, None);
        let results = run(jobs(&["a", "boom", "c"]), Plugins::default(), config, work).await;
        let statuses: Vec<(&str, Status)> = results
            .iter()
            .map(|r| (r.host.as_str(), r.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("a", Status::Ok),
                ("boom", Status::Failed),
                ("c", Status::Ok)
            ]
        );
        assert!(
            results[1]
                .error
                .as_deref()
                .unwrap_or_default()
                .contains("simulated bug")
        );
    }

    #[tokio::test]
    async fn workers_bound_the_hosts_in_flight_and_start_in_order() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let work: Work = {
            let (in_flight, peak, order) = (in_flight.clone(), peak.clone(), order.clone());
            Arc::new(move |run| {
                let (in_flight, peak, order) = (in_flight.clone(), peak.clone(), order.clone());
                Box::pin(async move {
                    if let Ok(mut order) = order.lock() {
                        order.push(run.host.clone());
                    }
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                })
            })
        };
        let names: Vec<String> = (0..12).map(|i| format!("h{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (_tx, config) = config(3, None);
        let results = run(jobs(&refs), Plugins::default(), config, work).await;
        assert_eq!(results.len(), 12);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert_eq!(*order.lock().unwrap(), names);
    }

    #[tokio::test]
    async fn cancelled_runs_mark_running_and_unstarted_hosts() {
        let work: Work = Arc::new(|_run| {
            Box::pin(async move { tokio::time::sleep(Duration::from_secs(60)).await })
        });
        let (tx, config) = config(1, None);
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = tx.send(true);
        });
        let results = run(jobs(&["a", "b"]), Plugins::default(), config, work).await;
        let _ = canceller.await;
        assert_eq!(results[0].status, Status::Failed);
        assert_eq!(results[0].error.as_deref(), Some(INTERRUPTED));
        assert_eq!(results[1].status, Status::Skipped);
        assert_eq!(results[1].error.as_deref(), Some(NOT_STARTED));
    }
}
