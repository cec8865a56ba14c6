//! Jobs: the selected hosts turned into what a run needs before it starts — each host's
//! connection targets per plugin, checked, and for `--lab` the simulated devices that stand in
//! for them. Every value comes from the inventory's one resolution (`HostView`).

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::connection::Target;
use crate::inventory::Inventory;
use crate::lab::{DeviceSpec, Faults};
use crate::platform::Platforms;
use crate::ssh::SshPlugin;

/// One host to run: its name and each plugin's resolved target.
#[derive(Clone, Debug)]
pub struct HostJob {
    /// Inventory name.
    pub name: String,
    /// Resolved targets by plugin name.
    pub targets: HashMap<String, Target>,
    /// The host's secret values, for redaction of everything the run writes.
    pub secrets: Vec<String>,
}

/// Hosts whose settings cannot work, found before anything is contacted (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{} host{} cannot be {what} as configured:\n  {}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.join("\n  "))]
pub struct JobError {
    /// "connected" or "simulated".
    pub what: &'static str,
    /// One line per host: `host `name`: problem`.
    pub problems: Vec<String>,
}

/// The jobs of a run, and what the user should know about them.
#[derive(Debug)]
pub struct Jobs {
    /// One per selected host, in inventory order.
    pub jobs: Vec<HostJob>,
    /// Warnings: hosts driven as the `generic` platform, grouped by why.
    pub notes: Vec<String>,
}

/// Resolves every selected host's target for ssh and for each of `others` (loaded plugins,
/// from `connection_options.NAME`); the ssh checks run only when `ssh` is given, i.e. when the
/// work uses ssh, so a plugin-only inventory needs no ssh credentials.
pub fn host_jobs(
    inv: &Inventory,
    indices: &[usize],
    ssh: Option<&SshPlugin>,
    others: &[String],
) -> Result<Jobs, JobError> {
    let mut jobs = Vec::with_capacity(indices.len());
    let mut problems = Vec::new();
    let mut generic: indexmap::IndexMap<String, Vec<String>> = indexmap::IndexMap::new();
    for &index in indices {
        let host = inv.host(index);
        let target = host.target("ssh");
        if let Some(ssh) = ssh {
            match ssh
                .platform_for(&target)
                .and_then(|(_, why)| ssh.prepare(&target).map(|_| why))
            {
                Err(problem) => problems.push(format!("host `{}`: {problem}", host.name())),
                Ok(Some(why)) => generic
                    .entry(why)
                    .or_default()
                    .push(host.name().to_string()),
                Ok(None) => {}
            }
        }
        let mut targets = HashMap::from([("ssh".to_string(), target)]);
        for name in others {
            targets.insert(name.clone(), host.target(name));
        }
        let mut secrets: Vec<String> = targets.values().flat_map(Target::secrets).collect();
        secrets.sort();
        secrets.dedup();
        jobs.push(HostJob {
            name: host.name().to_string(),
            targets,
            secrets,
        });
    }
    if !problems.is_empty() {
        return Err(JobError {
            what: "connected",
            problems,
        });
    }
    let notes = generic
        .into_iter()
        .map(|(why, hosts)| {
            let shown: Vec<&str> = hosts.iter().take(5).map(String::as_str).collect();
            let more = hosts.len().saturating_sub(shown.len());
            format!(
                "{} host{} driven as the `generic` platform ({why}): {}{}; set `platform:` on them or define the platform under `platforms:` in netrun.yaml (--strict-platforms refuses them)",
                hosts.len(),
                if hosts.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            )
        })
        .collect();
    Ok(Jobs { jobs, notes })
}

/// Lab devices for the selected hosts: each host's platform, ssh credentials (enable secret
/// from `extras.secret`), data as template variables, and faults from `data.lab`. A host the
/// lab cannot simulate stops the run (exit 2).
pub fn lab_devices(
    inv: &Inventory,
    indices: &[usize],
    platforms: &Platforms,
) -> Result<Vec<DeviceSpec>, JobError> {
    let mut devices = Vec::with_capacity(indices.len());
    let mut problems = Vec::new();
    for &index in indices {
        let host = inv.host(index);
        match lab_device(inv, index, platforms) {
            Ok(device) => devices.push(device),
            Err(problem) => problems.push(format!("host `{}`: {problem}", host.name())),
        }
    }
    if problems.is_empty() {
        Ok(devices)
    } else {
        Err(JobError {
            what: "simulated",
            problems,
        })
    }
}

fn lab_device(inv: &Inventory, index: usize, platforms: &Platforms) -> Result<DeviceSpec, String> {
    let host = inv.host(index);
    let target = host.target("ssh");
    // The lab simulates what the client will drive: a known platform, else `generic`.
    let platform = target
        .platform
        .as_deref()
        .and_then(|name| platforms.get(name))
        .or_else(|| platforms.get(crate::platform::GENERIC))
        .ok_or("no platform set and no `generic` platform")?;
    let mut vars = serde_json::Map::new();
    for key in host.data_keys() {
        if let Some((value, _)) = host.data(key) {
            let json = serde_json::to_value(value).map_err(|e| format!("data.{key}: {e}"))?;
            vars.insert(key.to_string(), json);
        }
    }
    let faults = Faults::from_data(vars.get("lab"))?;
    Ok(DeviceSpec {
        name: host.name().to_string(),
        platform: platform.name.clone(),
        username: target.username.clone().unwrap_or_default(),
        password: target.password.clone().unwrap_or_default(),
        enable_secret: target.extra_str("secret").map(str::to_string),
        vars,
        faults,
    })
}

/// Points each job's ssh target at its lab device (same order as the jobs): loopback address,
/// lab port, and no host key bookkeeping (lab ports change every run; recording them would
/// litter known_hosts).
pub fn point_at_lab(jobs: &mut [HostJob], endpoints: &[(String, SocketAddr)]) {
    for (job, (_, addr)) in jobs.iter_mut().zip(endpoints) {
        if let Some(target) = job.targets.get_mut("ssh") {
            target.hostname = addr.ip().to_string();
            target.port = Some(addr.port());
            target
                .extras
                .insert("known_hosts".into(), serde_json::Value::from("off"));
        }
    }
}
