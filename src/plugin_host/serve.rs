//! The helper process, `netrun plugin-host PATH`: loads one library with the in-process loader
//! and serves its connections to the netrun that started it (`protocol.rs`), with the
//! in-process host's code for every ABI call — so a crash in the plugin ends this process, not
//! netrun. Requests are handled as they arrive, each on a task of its own; every plugin call
//! runs on a thread of its own, as in netrun.
#![allow(unsafe_code)]

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader};
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, mpsc};

use serde_json::Value;

use super::LoadedPlugin;
use super::connection::LoadedConnection;
use super::load::load_one;
use super::protocol::{
    BROKEN_PLUGIN, Body, Outcome, Request, Response, WireError, WireInfo, encode, read_frame,
    write_frame,
};

/// Takes stdin and stdout for the protocol and puts `/dev/null` and stderr in their place, so
/// that a plugin that reads stdin or prints to stdout cannot corrupt the frames.
fn protocol_stdio() -> io::Result<(File, File)> {
    // Duplicates, close-on-exec, so that programs the plugin starts do not inherit them.
    let input = File::from(io::stdin().as_fd().try_clone_to_owned()?);
    let output = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let null = File::open("/dev/null")?;
    // SAFETY: dup2 on descriptors this process has open; it replaces fd 0 and fd 1 atomically,
    // and the protocol keeps its own duplicates of the originals.
    let (a, b) = unsafe { (libc::dup2(null.as_raw_fd(), 0), libc::dup2(2, 1)) };
    if a < 0 || b < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((input, output))
}

/// The connections this helper holds, by netrun's ids.
#[derive(Default)]
struct Connections {
    open: HashMap<u64, Arc<LoadedConnection>>,
    /// Connections netrun gave up on while they were being opened: closed once open.
    cancelled: HashSet<u64>,
}

/// What every request handler shares.
struct Server {
    plugin: Result<LoadedPlugin, String>,
    conns: Mutex<Connections>,
    out: mpsc::Sender<Vec<u8>>,
}

impl Server {
    fn conns(&self) -> MutexGuard<'_, Connections> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reply(&self, id: u64, outcome: Outcome) {
        let frame = encode(&Response { id, outcome }).or_else(|err| {
            let error = WireError::new("failed", format!("cannot send the result: {err}"));
            encode(&Response {
                id,
                outcome: Outcome::Error(error),
            })
        });
        if let Ok(frame) = frame {
            let _ = self.out.send(frame);
        }
    }

    fn connection(&self, conn: u64) -> Result<Arc<LoadedConnection>, WireError> {
        self.conns()
            .open
            .get(&conn)
            .cloned()
            .ok_or_else(|| WireError::new("broken", "connection already closed"))
    }

    /// netrun gave up on `conn`: abandon it, or have its open close it.
    fn cancel(&self, conn: u64) {
        let mut conns = self.conns();
        match conns.open.remove(&conn) {
            Some(open) => open.abandon_now(),
            None => {
                conns.cancelled.insert(conn);
            }
        }
    }

    async fn handle(self: Arc<Self>, id: u64, body: Body) {
        let plugin = match &self.plugin {
            Ok(plugin) => plugin,
            Err(reason) => {
                self.reply(id, Outcome::Error(WireError::new(BROKEN_PLUGIN, reason)));
                return;
            }
        };
        let outcome = match body {
            Body::Info => {
                let info = plugin.plugin_info();
                let info = WireInfo {
                    name: info.name.clone(),
                    version: info.version.clone(),
                    declared: info.declared.clone(),
                };
                serde_json::to_value(info)
                    .map_err(|e| WireError::new("failed", format!("cannot send metadata: {e}")))
            }
            Body::Open { conn, target } => match plugin.open_connection(&target.into()).await {
                Ok(opened) => {
                    let mut conns = self.conns();
                    if conns.cancelled.remove(&conn) {
                        opened.abandon_now();
                        Err(WireError::new("cancelled", "netrun gave up on the open"))
                    } else {
                        conns.open.insert(conn, Arc::new(opened));
                        Ok(Value::Null)
                    }
                }
                Err(err) => {
                    self.conns().cancelled.remove(&conn);
                    Err(WireError::from(&err))
                }
            },
            Body::Call { conn, name, args } => match self.connection(conn) {
                Ok(open) => open
                    .call(name, args.to_string())
                    .await
                    .map_err(|err| WireError::from(&err)),
                Err(err) => Err(err),
            },
            Body::IsAlive { conn } => match self.connection(conn) {
                Ok(open) => Ok(Value::Bool(open.alive().await)),
                Err(_) => Ok(Value::Bool(false)),
            },
            Body::Close { conn } => {
                let open = self.conns().open.remove(&conn);
                if let Some(open) = open {
                    open.close_later().await;
                }
                Ok(Value::Null)
            }
            // Handled as they arrive, in `serve`.
            Body::Cancel { .. } | Body::Exit => return,
        };
        let outcome = match outcome {
            Ok(value) => Outcome::Ok(value),
            Err(err) => Outcome::Error(err),
        };
        self.reply(id, outcome);
    }
}

/// Runs the helper for the library at `path` until netrun says `exit` or closes its stdin;
/// `concurrency` bounds the plugin calls running at once. Returns the process's exit code.
///
/// netrun starts its helpers as its own executable with the arguments `plugin-host
/// --concurrency N -- PATH`: a program that embeds this library and runs plugins isolated must
/// hand that command to this function, as the netrun binary does.
pub fn serve(path: &Path, concurrency: usize) -> io::Result<u8> {
    let (input, mut output) = protocol_stdio()?;
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let plugin = load_one(path).map(|(info, table)| LoadedPlugin {
        info,
        table,
        permits,
    });
    let (out, frames) = mpsc::channel::<Vec<u8>>();
    std::thread::Builder::new()
        .name("plugin-host-write".into())
        .spawn(move || {
            for frame in frames {
                if write_frame(&mut output, &frame).is_err() {
                    break;
                }
            }
        })?;
    let (requests_tx, mut requests) = tokio::sync::mpsc::unbounded_channel::<Request>();
    std::thread::Builder::new()
        .name("plugin-host-read".into())
        .spawn(move || {
            let mut input = BufReader::new(input);
            // A frame that is not a request ends the helper like the end of its input.
            while let Ok(Some(frame)) = read_frame(&mut input) {
                let Ok(request) = serde_json::from_slice::<Request>(&frame) else {
                    break;
                };
                if requests_tx.send(request).is_err() {
                    break;
                }
            }
        })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let server = Arc::new(Server {
        plugin,
        conns: Mutex::new(Connections::default()),
        out,
    });
    runtime.block_on(async move {
        while let Some(request) = requests.recv().await {
            match request.body {
                Body::Exit => break,
                Body::Cancel { conn } => server.cancel(conn),
                body => {
                    tokio::spawn(server.clone().handle(request.id, body));
                }
            }
        }
    });
    // Calls that never returned keep their threads; the process ends without them.
    runtime.shutdown_background();
    Ok(0)
}
