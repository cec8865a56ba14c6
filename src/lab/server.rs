//! The russh side: listeners, connections, authentication and session channels. Each shell or
//! exec channel gets a small task that owns a [`Device`] and talks through the session handle,
//! so latency and silence never block the connection's own event loop.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use russh::keys::PrivateKey;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::server::{Auth, ChannelOpenHandle, Handle, Msg, Response, Session};
use russh::{Channel, ChannelId, Disconnect, MethodKind, MethodSet, SshId};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::counters::{LiveCounters, OpenGuard};
use super::device::{Device, DeviceShared, Step};

/// Seed of the lab's one host key: constant so known_hosts entries never change between runs.
const HOST_KEY_SEED: [u8; 32] = *b"netrun-lab-host-key-seed-v1-0000";

/// How long a shutdown waits for a client to acknowledge the disconnect.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The server configuration shared by every device.
pub(crate) fn config() -> russh::server::Config {
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&HOST_KEY_SEED));
    russh::server::Config {
        server_id: SshId::Standard("SSH-2.0-netrun_lab".into()),
        methods: MethodSet::from(&[MethodKind::Password, MethodKind::KeyboardInteractive][..]),
        // Tests hammer wrong passwords; a constant-time delay only slows them down.
        auth_rejection_time: Duration::ZERO,
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![key],
        inactivity_timeout: Some(Duration::from_secs(600)),
        // Prompts and echoes are tiny writes; Nagle would add latency to every keystroke.
        nodelay: true,
        ..Default::default()
    }
}

/// Accepts connections for one device until the lab stops, then waits for them to finish.
pub(crate) async fn serve(
    listener: TcpListener,
    device: Arc<DeviceShared>,
    config: Arc<russh::server::Config>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // russh applies `Config::nodelay` only to sockets it accepts itself; without
                    // this, Nagle and delayed ACKs add ~40 ms to every prompt round trip.
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(
                        stream,
                        Arc::clone(&device),
                        Arc::clone(&config),
                        stop.clone(),
                    ));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn connection(
    stream: TcpStream,
    device: Arc<DeviceShared>,
    config: Arc<russh::server::Config>,
    mut stop: watch::Receiver<bool>,
) {
    let _open = OpenGuard::new(&device.counters);
    // A duplicate of the socket lets a channel task cut the TCP connection mid-command; only
    // devices with that fault pay the extra file descriptor.
    let killer = if device.faults.drop_after_commands.is_some() {
        duplicate(&stream)
    } else {
        None
    };
    let conn = Arc::new(ConnState {
        commands: AtomicU32::new(0),
        killer,
    });
    let handler = ConnHandler {
        device: Arc::clone(&device),
        conn,
        channels: HashMap::new(),
    };
    let Ok(mut session) = russh::server::run_stream(config, stream, handler).await else {
        return;
    };
    let handle = session.handle();
    tokio::select! {
        _ = &mut session => {}
        _ = stopped(&mut stop) => {
            let _ = handle
                .disconnect(Disconnect::ByApplication, "lab shutting down".into(), "en".into())
                .await;
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, &mut session).await;
        }
    }
}

/// Resolves once the lab stops (or is dropped); the watch guard never lives across an await.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

#[cfg(unix)]
fn duplicate(stream: &TcpStream) -> Option<std::net::TcpStream> {
    use std::os::fd::AsFd;
    let fd = stream.as_fd().try_clone_to_owned().ok()?;
    Some(std::net::TcpStream::from(fd))
}

#[cfg(not(unix))]
fn duplicate(_stream: &TcpStream) -> Option<std::net::TcpStream> {
    None
}

/// State of one TCP connection shared with its channel tasks.
struct ConnState {
    /// Commands received on this connection (all channels), for `drop_after_commands`.
    commands: AtomicU32,
    killer: Option<std::net::TcpStream>,
}

impl ConnState {
    /// Accounts for a submitted command; `false` means the connection was cut instead.
    async fn command(&self, device: &DeviceShared, handle: &Handle) -> bool {
        let before = self.commands.fetch_add(1, Ordering::Relaxed);
        if let Some(limit) = device.faults.drop_after_commands
            && before >= limit
        {
            match &self.killer {
                // Shutting the socket down makes russh's reader see EOF, so the session ends
                // and the client sees the TCP connection close without an SSH goodbye.
                Some(socket) => {
                    let _ = socket.shutdown(std::net::Shutdown::Both);
                }
                None => {
                    let _ = handle
                        .disconnect(Disconnect::ConnectionLost, String::new(), String::new())
                        .await;
                }
            }
            return false;
        }
        LiveCounters::bump(&device.counters.commands);
        if !device.faults.latency.is_zero() {
            tokio::time::sleep(device.faults.latency).await;
        }
        true
    }
}

enum ChannelState {
    /// Opened, no shell or exec yet.
    Idle,
    /// Input goes to a channel task.
    Running(mpsc::UnboundedSender<Vec<u8>>),
    /// `never_answer`: input is swallowed.
    Silent,
}

struct ConnHandler {
    device: Arc<DeviceShared>,
    conn: Arc<ConnState>,
    channels: HashMap<ChannelId, ChannelState>,
}

impl ConnHandler {
    fn check(&self, user: &str, password: &[u8]) -> Auth {
        let counters = &self.device.counters;
        if !self.device.faults.reject_auth
            && self.device.accepts_user(user)
            && password == self.device.password.as_bytes()
        {
            LiveCounters::bump(&counters.auth_successes);
            Auth::Accept
        } else {
            LiveCounters::bump(&counters.auth_failures);
            Auth::reject()
        }
    }

    /// Starts the task behind a shell or exec channel.
    fn start(&mut self, channel: ChannelId, session: &mut Session, exec: Option<String>) {
        if self.device.faults.never_answer {
            self.channels.insert(channel, ChannelState::Silent);
            return;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        self.channels.insert(channel, ChannelState::Running(tx));
        let device = Arc::clone(&self.device);
        let conn = Arc::clone(&self.conn);
        let handle = session.handle();
        match exec {
            Some(command) => {
                tokio::spawn(exec_task(device, conn, handle, channel, command));
            }
            None => {
                tokio::spawn(shell_task(device, conn, handle, channel, rx));
            }
        }
    }
}

impl russh::server::Handler for ConnHandler {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(self.check(user, password.as_bytes()))
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        match response {
            None => Ok(Auth::Partial {
                name: "".into(),
                instructions: "".into(),
                prompts: vec![("Password: ".into(), false)].into(),
            }),
            Some(mut answers) => {
                let answer = answers.next().unwrap_or_default();
                Ok(self.check(user, &answer))
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        LiveCounters::bump(&self.device.counters.channels);
        // Input arrives through `data`; the channel object itself is not needed.
        self.channels.insert(channel.id(), ChannelState::Idle);
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _variable_name: &str,
        _variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if !matches!(self.channels.get(&channel), Some(ChannelState::Idle)) {
            session.channel_failure(channel)?;
            return Ok(());
        }
        session.channel_success(channel)?;
        self.start(channel, session, None);
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if !matches!(self.channels.get(&channel), Some(ChannelState::Idle)) {
            session.channel_failure(channel)?;
            return Ok(());
        }
        session.channel_success(channel)?;
        let command = String::from_utf8_lossy(data).into_owned();
        self.start(channel, session, Some(command));
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(ChannelState::Running(tx)) = self.channels.get(&channel) {
            // The task may have finished (after `exit`); late input is simply dropped.
            let _ = tx.send(data.to_vec());
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Dropping the sender ends a shell task once it has drained pending input.
        if let Some(state) = self.channels.get_mut(&channel)
            && matches!(state, ChannelState::Running(_))
        {
            *state = ChannelState::Silent;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }
}

/// Drives an interactive CLI until the user exits or the channel goes away.
async fn shell_task(
    device: Arc<DeviceShared>,
    conn: Arc<ConnState>,
    handle: Handle,
    channel: ChannelId,
    mut input: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let mut cli = Device::new(Arc::clone(&device));
    let mut steps = cli.start();
    loop {
        for step in steps {
            match step {
                Step::Output(bytes) => {
                    if handle.data(channel, bytes).await.is_err() {
                        return;
                    }
                }
                Step::Command => {
                    if !conn.command(&device, &handle).await {
                        return;
                    }
                }
                Step::Close => {
                    let _ = handle.exit_status_request(channel, 0).await;
                    let _ = handle.eof(channel).await;
                    let _ = handle.close(channel).await;
                    return;
                }
            }
        }
        let Some(bytes) = input.recv().await else {
            // EOF from the client: a device would log the user out.
            let _ = handle.close(channel).await;
            return;
        };
        steps = cli.feed(&bytes);
    }
}

/// Runs one `exec` command: output, exit status, EOF, close.
async fn exec_task(
    device: Arc<DeviceShared>,
    conn: Arc<ConnState>,
    handle: Handle,
    channel: ChannelId,
    command: String,
) {
    let command = command.trim();
    if !command.is_empty() && !conn.command(&device, &handle).await {
        return;
    }
    let mut cli = Device::new(Arc::clone(&device));
    let out = cli.exec(command);
    if !out.stdout.is_empty() && handle.data(channel, out.stdout.into_bytes()).await.is_err() {
        return;
    }
    // Extended data type 1 is stderr (RFC 4254, section 5.2).
    if !out.stderr.is_empty()
        && handle
            .extended_data(channel, 1, out.stderr.into_bytes())
            .await
            .is_err()
    {
        return;
    }
    let _ = handle.exit_status_request(channel, out.status).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}
