//! One helper process as netrun sees it: started, sent requests, answered, ended. Requests go
//! through a writer thread (so that no caller ever blocks on the pipe), responses come back on a
//! reader thread that hands each to whoever waits for it, by id. When the helper's stdout ends
//! the reader reaps it and fails every pending request with why it ended.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::protocol::{
    Body, Outcome, Request, Response, WireError, encode, read_frame, write_frame,
};

/// Why a helper is gone, as in "plugin `x` crashed (signal 11)": "crashed (signal 11)".
pub(super) type Ended = String;

/// Whoever waits for a response.
type Reply = Box<dyn FnOnce(Result<Outcome, Ended>) + Send>;

/// What a blocking wait for an answer came to.
pub(super) enum Waited {
    /// The helper answered.
    Answer(Outcome),
    /// The helper ended first.
    Ended(Ended),
    /// Nothing came in time.
    TimedOut,
}

struct State {
    pending: HashMap<u64, Reply>,
    /// Why the helper ended, once it has.
    ended: Option<Ended>,
    /// netrun told it to exit, so its end is no news.
    exiting: bool,
}

struct Shared {
    /// The library, for diagnostics.
    library: String,
    state: Mutex<State>,
    /// Signalled when the helper has ended.
    gone: Condvar,
    child: Mutex<Child>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a thread panicked holding it; the map stays usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn child(&self) -> MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running (or ended) helper process serving one plugin library.
pub(super) struct Helper {
    shared: Arc<Shared>,
    out: mpsc::Sender<Vec<u8>>,
    next_id: AtomicU64,
    /// Closed when the helper's stderr has been copied to the end.
    stderr_done: Mutex<mpsc::Receiver<()>>,
}

/// "crashed (signal 11)", "crashed (exit status 0)": from netrun's side, a helper that ends
/// while it has work has crashed, whatever its status.
fn describe(status: io::Result<ExitStatus>) -> Ended {
    match status {
        Ok(status) => match (status.signal(), status.code()) {
            (Some(signal), _) => format!("crashed (signal {signal})"),
            (None, Some(code)) => format!("crashed (exit status {code})"),
            (None, None) => "crashed".to_string(),
        },
        Err(err) => format!("crashed ({err})"),
    }
}

impl Helper {
    /// Starts `netrun plugin-host PATH`, which loads the library at once.
    pub fn spawn(path: &Path, concurrency: usize) -> io::Result<Arc<Helper>> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("plugin-host")
            .arg("--concurrency")
            .arg(concurrency.to_string())
            .arg("--")
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Ctrl-C goes to the terminal's process group: interrupting the run is netrun's job,
            // and a helper dying of SIGINT would look like a crash.
            .process_group(0)
            .spawn()?;
        let missing = || io::Error::other("the helper's pipes are missing");
        let mut stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let stderr = child.stderr.take().ok_or_else(missing)?;
        let shared = Arc::new(Shared {
            library: path.display().to_string(),
            state: Mutex::new(State {
                pending: HashMap::new(),
                ended: None,
                exiting: false,
            }),
            gone: Condvar::new(),
            child: Mutex::new(child),
        });
        let (out, frames) = mpsc::channel::<Vec<u8>>();
        std::thread::Builder::new()
            .name("netrun-helper-write".into())
            .spawn(move || {
                for frame in frames {
                    if write_frame(&mut stdin, &frame).is_err() {
                        break;
                    }
                }
            })?;
        let reader = shared.clone();
        std::thread::Builder::new()
            .name("netrun-helper-read".into())
            .spawn(move || read_responses(&reader, stdout))?;
        let (copied, stderr_done) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("netrun-helper-stderr".into())
            .spawn(move || {
                forward_stderr(stderr);
                drop(copied);
            })?;
        Ok(Arc::new(Helper {
            shared,
            out,
            next_id: AtomicU64::new(1),
            stderr_done: Mutex::new(stderr_done),
        }))
    }

    /// Sends `body`; `reply` gets the answer, or why the helper ended before it.
    fn send(&self, body: Body, reply: Option<Reply>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let frame = match encode(&Request { id, body }) {
            Ok(frame) => frame,
            Err(err) => {
                if let Some(reply) = reply {
                    let message = format!("cannot send the request to the plugin helper: {err}");
                    reply(Ok(Outcome::Error(WireError::new("failed", message))));
                }
                return;
            }
        };
        let mut state = self.shared.state();
        if let Some(ended) = state.ended.clone() {
            drop(state);
            if let Some(reply) = reply {
                reply(Err(ended));
            }
            return;
        }
        if let Some(reply) = reply {
            state.pending.insert(id, reply);
        }
        drop(state);
        // A helper that is gone cannot take it; the reader fails the pending request.
        let _ = self.out.send(frame);
    }

    /// Sends `body` and waits for the answer.
    pub async fn request(&self, body: Body) -> Result<Outcome, Ended> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(
            body,
            Some(Box::new(move |answer| {
                let _ = tx.send(answer);
            })),
        );
        rx.await
            .unwrap_or_else(|_| Err("crashed (no answer)".to_string()))
    }

    /// Sends `body` and gives back a channel its answer arrives on, for threads that wait
    /// without a runtime.
    pub fn request_sync(&self, body: Body) -> mpsc::Receiver<Result<Outcome, Ended>> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(
            body,
            Some(Box::new(move |answer| {
                let _ = tx.send(answer);
            })),
        );
        rx
    }

    /// Sends `body`, which is never answered (`cancel`, `exit`).
    pub fn notify(&self, body: Body) {
        self.send(body, None);
    }

    /// Tells the helper to exit; [`Helper::wait_or_kill`] makes sure it does.
    pub fn exit(&self) {
        self.shared.state().exiting = true;
        self.notify(Body::Exit);
    }

    /// Why the helper ended, if it has.
    pub fn ended(&self) -> Option<Ended> {
        self.shared.state().ended.clone()
    }

    /// Kills the helper now (it stopped answering).
    pub fn kill(&self) {
        let _ = self.shared.child().kill();
    }

    /// Waits until `until` for the helper to end, then kills it if it has not; then waits
    /// (until `until` at most) for the last lines of its stderr to be copied.
    pub fn wait_or_kill(&self, until: Instant) {
        let state = self.shared.state();
        let left = until.saturating_duration_since(Instant::now());
        let (state, _) = self
            .shared
            .gone
            .wait_timeout_while(state, left, |s| s.ended.is_none())
            .unwrap_or_else(|p| p.into_inner());
        if state.ended.is_none() {
            drop(state);
            let library = &self.shared.library;
            crate::diag!(1, "the helper of {library} did not exit in time; killed");
            self.kill();
        }
        let left = until.saturating_duration_since(Instant::now());
        let done = self.stderr_done.lock().unwrap_or_else(|p| p.into_inner());
        let _ = done.recv_timeout(left);
    }
}

/// Waits for an answer on `rx` until `deadline`.
pub(super) fn wait_until(rx: &mpsc::Receiver<Result<Outcome, Ended>>, deadline: Instant) -> Waited {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    match rx.recv_timeout(left) {
        Ok(Ok(outcome)) => Waited::Answer(outcome),
        Ok(Err(ended)) => Waited::Ended(ended),
        Err(mpsc::RecvTimeoutError::Timeout) => Waited::TimedOut,
        Err(mpsc::RecvTimeoutError::Disconnected) => Waited::Ended("crashed".to_string()),
    }
}

/// The reader thread: hands each response to its waiter; at the end of the stream (or at a
/// frame that breaks the protocol) reaps the helper and fails everything still pending.
fn read_responses(shared: &Shared, stdout: std::process::ChildStdout) {
    let mut input = BufReader::new(stdout);
    while let Ok(Some(frame)) = read_frame(&mut input) {
        let Ok(response) = serde_json::from_slice::<Response>(&frame) else {
            crate::diag!(1, "the helper of {} broke the protocol", shared.library);
            break;
        };
        let reply = shared.state().pending.remove(&response.id);
        if let Some(reply) = reply {
            reply(Ok(response.outcome));
        }
    }
    // Usually the helper is already dead; one that closed its stdout but lives on is killed.
    // A signal to a dead, unreaped process changes nothing, so `wait` reports the real end.
    let status = {
        let mut child = shared.child();
        let _ = child.kill();
        child.wait()
    };
    let ended = describe(status);
    let (pending, exiting) = {
        let mut state = shared.state();
        state.ended = Some(ended.clone());
        let pending: Vec<Reply> = state.pending.drain().map(|(_, reply)| reply).collect();
        (pending, state.exiting)
    };
    shared.gone.notify_all();
    if !exiting {
        let (library, pending) = (&shared.library, pending.len());
        crate::diag!(
            1,
            "the helper of {library} {ended}; {pending} request(s) pending"
        );
    }
    for reply in pending {
        reply(Err(ended.clone()));
    }
}

/// Copies the helper's stderr to netrun's, a line at a time so that lines do not interleave.
fn forward_stderr(stderr: std::process::ChildStderr) {
    let mut input = BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let _ = io::stderr().lock().write_all(&line);
            }
        }
    }
}
