//! Runs work on many hosts at once: at most `workers` in flight, started in inventory order,
//! each under its own deadline, each with its own register of connections, all cancellable.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

mod rollout;

pub use rollout::{MaxPer, Rollout, RolloutError, Share};

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
    /// Batches, failure budget and per-key limits.
    pub rollout: Rollout,
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

/// Runs `work` on every job and returns one result per job, in job order: batch after batch
/// (`rollout.serial`), at most `workers` hosts in flight, each started in job order as soon as
/// its `--max-per` limits allow, none started once the failure budget is spent or the run was
/// interrupted.
pub async fn run(
    jobs: Vec<HostJob>,
    plugins: Plugins,
    config: RunConfig,
    work: Work,
) -> Vec<HostResult> {
    let total = jobs.len();
    let rollout = config.rollout.clone();
    let budget = rollout.failure_budget(total);
    let names: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
    let mut jobs: Vec<Option<HostJob>> = jobs.into_iter().map(Some).collect();
    let mut results: Vec<Option<HostResult>> = (0..total).map(|_| None).collect();
    let mut tasks = tokio::task::JoinSet::new();
    let mut task_job = std::collections::HashMap::new();
    let mut in_flight = rollout::InFlight::new();
    let mut failed = 0;
    // Why hosts no longer start: an interrupt, or the failure budget.
    let mut stopped: Option<String> = None;
    let mut first = 0;
    for size in rollout.batches(total) {
        let mut waiting: Vec<usize> = (first..first + size).collect();
        first += size;
        loop {
            if stopped.is_none() && *config.cancel.borrow() {
                stopped = Some(NOT_STARTED.to_string());
            }
            if let Some(why) = &stopped {
                for i in waiting.drain(..) {
                    results[i] = Some(not_run(&names[i], why, &config));
                }
            }
            while tasks.len() < config.workers.max(1) {
                // Nothing in flight means nothing can block a host: the first one starts.
                let Some(at) = waiting
                    .iter()
                    .position(|&i| tasks.is_empty() || rollout.fits(i, &in_flight))
                else {
                    break;
                };
                let i = waiting.remove(at);
                let Some(job) = jobs[i].take() else { continue };
                rollout.count(i, &mut in_flight, true);
                let plugins = plugins.clone();
                let work = work.clone();
                let config = config.clone();
                let handle = tasks.spawn(async move {
                    let result = run_host(job, plugins, &config, work).await;
                    if let Some(on_done) = &config.on_done {
                        on_done(&result);
                    }
                    result
                });
                task_job.insert(handle.id(), i);
            }
            if tasks.is_empty() {
                break;
            }
            // Biased: when an interrupt and a finished host arrive together, the interrupt wins.
            tokio::select! {
                biased;
                () = cancelled(config.cancel.clone()), if stopped.is_none() => {
                    stopped = Some(NOT_STARTED.to_string());
                }
                Some(joined) = tasks.join_next_with_id() => {
                    let (i, result) = match joined {
                        Ok((id, result)) => (task_job.get(&id).copied(), result),
                        Err(err) => {
                            let i = task_job.get(&err.id()).copied();
                            let name = i.map(|i| names[i].clone()).unwrap_or_default();
                            (i, lost(name, err, &config))
                        }
                    };
                    let Some(i) = i else { continue };
                    rollout.count(i, &mut in_flight, false);
                    if !result.status.is_success() {
                        failed += 1;
                        if budget.is_some_and(|b| failed >= b) && stopped.is_none() {
                            stopped = Some(format!(
                                "not started: rollout stopped after {failed} failure{}",
                                if failed == 1 { "" } else { "s" }
                            ));
                        }
                    }
                    results[i] = Some(result);
                }
            }
        }
    }
    results.into_iter().flatten().collect()
}

/// The result of a host that never started, and why.
fn not_run(name: &str, why: &str, config: &RunConfig) -> HostResult {
    let mut node = Node::new("run", Status::Skipped, Duration::ZERO);
    node.error = Some(why.to_string());
    let result = HostResult::from_nodes(name.to_string(), vec![node], Duration::ZERO);
    if let Some(on_done) = &config.on_done {
        on_done(&result);
    }
    result
}

/// The result of a host whose task panicked or was cancelled.
fn lost(name: String, err: tokio::task::JoinError, config: &RunConfig) -> HostResult {
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
            rollout: Rollout::default(),
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
    async fn a_rollout_runs_its_batches_in_turn_and_stops_on_its_failure_budget() {
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let work: Work = {
            let events = events.clone();
            Arc::new(move |run| {
                let events = events.clone();
                Box::pin(async move {
                    let log = |what: String| {
                        if let Ok(mut e) = events.lock() {
                            e.push(what);
                        }
                    };
                    log(format!("start {}", run.host));
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let status = if run.host.starts_with("bad") {
                        Status::Failed
                    } else {
                        Status::Ok
                    };
                    run.nodes.push(Node::new("step", status, Duration::ZERO));
                    log(format!("end {}", run.host));
                })
            })
        };
        let (_tx, mut config) = config(10, None);
        config.rollout = Rollout {
            serial: vec![Share::Hosts(2)],
            max_fail: Some(Share::Hosts(1)),
            max_per: Vec::new(),
        };
        let names = ["a1", "a2", "bad3", "a4", "a5", "a6"];
        let results = run(jobs(&names), Plugins::default(), config, work).await;
        let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
        use Status::{Failed, Ok as Fine, Skipped};
        assert_eq!(statuses, [Fine, Fine, Failed, Fine, Skipped, Skipped]);
        assert_eq!(
            results[4].error.as_deref(),
            Some("not started: rollout stopped after 1 failure")
        );
        let events = events.lock().map(|e| e.clone()).unwrap_or_default();
        // Each batch ends before the next one starts.
        let at = |what: &str| events.iter().position(|e| e == what).unwrap_or(usize::MAX);
        assert!(
            at("end a1").max(at("end a2")) < at("start bad3"),
            "{events:?}"
        );
        assert!(!events.iter().any(|e| e.ends_with("a5")), "{events:?}");
    }

    #[tokio::test]
    async fn max_per_never_runs_two_hosts_of_a_site_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let earth = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let work: Work = {
            let (earth, peak) = (earth.clone(), peak.clone());
            Arc::new(move |run| {
                let (earth, peak) = (earth.clone(), peak.clone());
                Box::pin(async move {
                    let on_earth = run.host.starts_with('e');
                    if on_earth {
                        let now = earth.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    if on_earth {
                        earth.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
        };
        let names = ["e1", "e2", "m1", "e3", "m2"];
        let site = |n: &str| vec![if n.starts_with('e') { "earth" } else { "mars" }.to_string()];
        let (_tx, mut config) = config(10, None);
        config.rollout.max_per = vec![MaxPer {
            key: "site".into(),
            limit: 1,
            values: names.iter().map(|n| site(n)).collect(),
        }];
        let started = std::time::Instant::now();
        let results = run(jobs(&names), Plugins::default(), config, work).await;
        assert_eq!(results.len(), 5);
        assert_eq!(peak.load(Ordering::SeqCst), 1);
        // The three earth hosts ran one after another, the mars ones beside them.
        assert!(started.elapsed() >= Duration::from_millis(60));
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
