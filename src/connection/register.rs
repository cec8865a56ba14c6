//! The register of one host's connections for a run: opened on first use, reused, checked before
//! reuse and reopened once, closed at the end — and abandoned, never waited for, when the run
//! gives up on the host in the middle of an operation.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{Connection, ConnectionError, Operation, Output, Plugins, Target};

/// How long closing one connection may take before it is abandoned: closing is a courtesy to
/// the device, and must never hold up the end of a run.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a close may take once the host's deadline has passed (or is about to): enough for
/// a polite goodbye on a working connection, too short to matter when a plugin's close hangs.
const CLOSE_AT_DEADLINE: Duration = Duration::from_millis(250);

/// A host's open connections for one run, keyed by plugin.
pub struct HostConnections {
    plugins: Plugins,
    targets: HashMap<String, Target>,
    open: HashMap<String, Box<dyn Connection>>,
    /// The plugin whose operation is in flight; still set after the operation's future was
    /// dropped (deadline, interrupt), which means that connection must be abandoned.
    busy: Option<String>,
    /// The host's deadline, which closing does not overrun (by more than [`CLOSE_AT_DEADLINE`]).
    deadline: Option<Instant>,
    /// How many connections were opened (a reconnect counts), for reports and tests.
    pub opened: usize,
    /// Things worth telling the user, e.g. "reconnected".
    pub events: Vec<String>,
}

impl HostConnections {
    /// A register for one host; `targets` gives each plugin's resolved options.
    pub fn new(plugins: Plugins, targets: HashMap<String, Target>) -> Self {
        HostConnections {
            plugins,
            targets,
            open: HashMap::new(),
            busy: None,
            deadline: None,
            opened: 0,
            events: Vec::new(),
        }
    }

    /// Closing at the end does not hold the host past `deadline`.
    pub fn with_deadline(mut self, deadline: Option<Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    async fn open_new(&mut self, plugin: &str) -> Result<Box<dyn Connection>, ConnectionError> {
        let driver = self
            .plugins
            .get(plugin)
            .cloned()
            .ok_or_else(|| ConnectionError::UnknownPlugin(plugin.to_string()))?;
        let target = self
            .targets
            .get(plugin)
            .cloned()
            .ok_or_else(|| ConnectionError::UnknownPlugin(plugin.to_string()))?;
        crate::diag!(
            2,
            "host {}: opening {plugin} connection to {}",
            target.host,
            target.hostname
        );
        let conn = driver.open(&target).await?;
        self.opened += 1;
        crate::diag!(2, "host {}: {plugin} connection open", target.host);
        Ok(conn)
    }

    /// The connection for `plugin`: opened on first use, checked before reuse and reopened once
    /// if it died. A failed open is not cached, so the next step tries again.
    async fn get(&mut self, plugin: &str) -> Result<&mut dyn Connection, ConnectionError> {
        let reuse = match self.open.get_mut(plugin) {
            Some(conn) => conn.is_alive().await,
            None => false,
        };
        if !reuse {
            if let Some(dead) = self.open.remove(plugin) {
                dead.close().await;
                self.events
                    .push(format!("{plugin} connection was lost; reconnected"));
            }
            let conn = self.open_new(plugin).await?;
            self.open.insert(plugin.to_string(), conn);
        }
        match self.open.get_mut(plugin) {
            Some(conn) => Ok(conn.as_mut()),
            None => Err(ConnectionError::UnknownPlugin(plugin.to_string())),
        }
    }

    /// Runs `op` over `plugin`'s connection. A connection that broke stays registered: the
    /// next step finds it dead and reconnects (once), which the host's result reports.
    pub async fn run(
        &mut self,
        plugin: &str,
        op: Operation<'_>,
    ) -> Result<Output, ConnectionError> {
        // Set for the open and the check too: a deadline during either abandons the attempt.
        self.busy = Some(plugin.to_string());
        let result = match self.get(plugin).await {
            Ok(conn) => conn.run(op).await,
            Err(err) => Err(err),
        };
        self.busy = None;
        result
    }

    /// Closes every open connection; one whose operation was cut off is abandoned instead, and
    /// a close that takes too long (or runs into the host's deadline) is given up on.
    pub async fn close_all(&mut self) {
        let busy = self.busy.take();
        for (plugin, conn) in self.open.drain() {
            if busy.as_deref() == Some(plugin.as_str()) {
                crate::diag!(2, "{plugin} connection abandoned in mid-operation");
                conn.abandon();
                continue;
            }
            let limit = match self.deadline {
                Some(deadline) => deadline
                    .saturating_duration_since(Instant::now())
                    .clamp(CLOSE_AT_DEADLINE, CLOSE_TIMEOUT),
                None => CLOSE_TIMEOUT,
            };
            if tokio::time::timeout(limit, conn.close()).await.is_err() {
                crate::diag!(2, "{plugin} connection did not close in time; left behind");
                self.events.push(format!(
                    "{plugin} connection did not close in time; left behind"
                ));
            }
        }
    }
}
