//! Per-device activity counters, updated lock-free by the server and read as snapshots.

use std::sync::atomic::{AtomicU64, Ordering};

use indexmap::IndexMap;
use serde::Serialize;

/// Live counters of one device; the server owns them behind an `Arc`.
#[derive(Debug, Default)]
pub(crate) struct LiveCounters {
    pub(crate) tcp_connections: AtomicU64,
    pub(crate) auth_successes: AtomicU64,
    pub(crate) auth_failures: AtomicU64,
    pub(crate) channels: AtomicU64,
    pub(crate) commands: AtomicU64,
    pub(crate) open_connections: AtomicU64,
}

impl LiveCounters {
    /// Adds one to a counter.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A consistent-enough copy for reporting (each field is read atomically).
    pub(crate) fn snapshot(&self) -> DeviceCounters {
        DeviceCounters {
            tcp_connections: self.tcp_connections.load(Ordering::Relaxed),
            auth_successes: self.auth_successes.load(Ordering::Relaxed),
            auth_failures: self.auth_failures.load(Ordering::Relaxed),
            channels: self.channels.load(Ordering::Relaxed),
            commands: self.commands.load(Ordering::Relaxed),
            open_connections: self.open_connections.load(Ordering::Relaxed),
        }
    }
}

/// Keeps `open_connections` exact: incremented on accept, decremented however the connection ends.
pub(crate) struct OpenGuard<'a>(&'a LiveCounters);

impl<'a> OpenGuard<'a> {
    /// Counts a newly accepted TCP connection.
    pub(crate) fn new(counters: &'a LiveCounters) -> Self {
        LiveCounters::bump(&counters.tcp_connections);
        LiveCounters::bump(&counters.open_connections);
        OpenGuard(counters)
    }
}

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counters of one device at the time of the snapshot.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeviceCounters {
    /// TCP connections accepted.
    pub tcp_connections: u64,
    /// Successful password / keyboard-interactive authentications.
    pub auth_successes: u64,
    /// Rejected password / keyboard-interactive attempts (probes with method "none" are not counted).
    pub auth_failures: u64,
    /// Session channels opened.
    pub channels: u64,
    /// Commands received at a prompt or through `exec` (empty lines and passwords excluded).
    pub commands: u64,
    /// TCP connections open right now.
    pub open_connections: u64,
}

impl DeviceCounters {
    fn add(&mut self, other: &DeviceCounters) {
        self.tcp_connections += other.tcp_connections;
        self.auth_successes += other.auth_successes;
        self.auth_failures += other.auth_failures;
        self.channels += other.channels;
        self.commands += other.commands;
        self.open_connections += other.open_connections;
    }
}

/// Snapshot of every device's counters, in device order; serialises to JSON as `{"devices": {...}, "totals": {...}}`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct LabCounters {
    /// Counters per device name.
    pub devices: IndexMap<String, DeviceCounters>,
    /// Sum over all devices.
    pub totals: DeviceCounters,
}

impl LabCounters {
    /// Builds a snapshot from per-device counters and computes the totals.
    pub fn from_devices(devices: IndexMap<String, DeviceCounters>) -> Self {
        let mut totals = DeviceCounters::default();
        for counters in devices.values() {
            totals.add(counters);
        }
        LabCounters { devices, totals }
    }

    /// Sum over all devices.
    pub fn totals(&self) -> DeviceCounters {
        self.totals
    }
}
