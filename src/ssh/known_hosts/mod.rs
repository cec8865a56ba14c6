//! known_hosts read the way OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
//! wildcard and negated host patterns, `[host]:port` names, hashed names, `@revoked` and
//! `@cert-authority` lines. Replaces russh's helpers, which accept revoked keys and treat a
//! host covered only by a wildcard line as unknown (so accept-new would learn an impostor's key).
//!
//! The file is parsed once per process ([`KnownHosts::load`] caches by path) and shared by
//! every handshake; [`KnownHosts::learn`] appends under an exclusive file lock and keeps the
//! shared copy up to date.

mod check;
mod parse;
pub(crate) mod pattern;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_cert;
#[cfg(test)]
mod tests_learn;

use parse::Line;
use russh::keys::{PublicKey, PublicKeyOrCertificate};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock};

/// A line of a known_hosts file, shown as `file:line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The known_hosts file.
    pub file: Arc<Path>,
    /// 1-based line number.
    pub line: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A line that was skipped because it could not be understood (OpenSSH skips them too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub position: Position,
    /// Why it was skipped.
    pub reason: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: line skipped: {}", self.position, self.reason)
    }
}

/// What known_hosts says about the key a host presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The key (or the CA that signed the certificate) is `@revoked` for this host: refuse
    /// whatever the policy, and never learn it.
    Revoked {
        /// The `@revoked` line.
        line: Position,
    },
    /// A line for this host records exactly this key.
    Known {
        /// The first such line.
        line: Position,
    },
    /// A host certificate signed by a CA listed with `@cert-authority` for this host, valid
    /// now and naming this host as a principal.
    Certified {
        /// The `@cert-authority` line.
        line: Position,
        /// The certificate's key id (for messages and logs).
        key_id: String,
    },
    /// Lines for this host record keys, none of them this one ("REMOTE HOST IDENTIFICATION HAS
    /// CHANGED"): refuse under every policy but off.
    Changed {
        /// Every line recording another key for this host.
        lines: Vec<Position>,
        /// SHA256 fingerprints of those recorded keys, in the same order.
        fingerprints: Vec<String>,
    },
    /// No line records a key for this host.
    Unknown,
}

impl Verdict {
    /// Whether the key may be used without asking anything (known or certified).
    pub fn is_trusted(&self) -> bool {
        matches!(self, Verdict::Known { .. } | Verdict::Certified { .. })
    }
}

/// The verdict on what a server presented, with the reason a certificate was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyCheck {
    /// The verdict (for a rejected certificate: on its plain key, as OpenSSH falls back).
    pub verdict: Verdict,
    /// Why a presented certificate was not accepted as such, for `-v` output.
    pub certificate_note: Option<String>,
}

/// What [`KnownHosts::learn`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Learned {
    /// The line was appended.
    Added {
        /// The new line.
        line: Position,
    },
    /// Another writer (thread or process) recorded the key first; nothing was written.
    AlreadyKnown {
        /// The line recording it.
        line: Position,
    },
    /// Under the lock the file turned out to revoke the key or record another one for the
    /// host (another writer got there first); nothing was written.
    Refused(Verdict),
}

/// A known_hosts file that cannot be used. Callers fail closed on it, for `strict` and
/// `accept-new` alike: an unreadable file is not an empty one.
#[derive(Debug, thiserror::Error)]
pub enum KnownHostsError {
    /// The file exists but cannot be read (permissions, a directory, out of descriptors...).
    #[error("cannot read known_hosts file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The host name would not read back as that one host (blanks, commas, wildcards...).
    #[error("cannot record a host key for {host:?}: not a plain host name")]
    BadHostName {
        /// The name given.
        host: String,
    },
    /// A new host key cannot be recorded.
    #[error("cannot record a host key in {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

/// A parsed line and where it is.
#[derive(Debug)]
struct Entry {
    position: Position,
    parsed: Line,
}

/// Everything read from the file so far, indexed for lookups.
#[derive(Debug, Default)]
struct Entries {
    list: Vec<Entry>,
    /// Entries whose host patterns are all literal, by lower-case name: a plain file of
    /// 100,000 hosts is searched without touching every line.
    by_name: HashMap<String, Vec<usize>>,
    /// Entries that must be tried against every name (wildcards, negations, hashed names).
    scan: Vec<usize>,
    /// Which `scan` entries matched a name, remembered: one handshake looks its host up
    /// several times, and each try of a hashed line costs an HMAC.
    scan_hits: Mutex<HashMap<String, Arc<[usize]>>>,
    warnings: Vec<Warning>,
    /// Bytes up to the end of the last complete (`\n`-terminated) line.
    complete_len: u64,
    /// Number of complete lines.
    complete_lines: usize,
    /// Whether a last line without `\n` was parsed too; it is re-read once completed.
    partial_tail: bool,
    /// Device and inode of the file read, to notice it being replaced (`ssh-keygen -R`).
    identity: Option<(u64, u64)>,
}

impl Entries {
    fn ingest(&mut self, file: &Arc<Path>, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let (text, consumed, complete) = match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => (&bytes[..i], i + 1, true),
                None => (bytes, bytes.len(), false),
            };
            self.parse_one(file, self.complete_lines + 1, text);
            if complete {
                self.complete_lines += 1;
                self.complete_len += consumed as u64;
            } else {
                self.partial_tail = true;
            }
            bytes = &bytes[consumed..];
        }
    }

    fn parse_one(&mut self, file: &Arc<Path>, line: usize, text: &[u8]) {
        // Tolerate CRLF files edited on Windows.
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let warn = |reason: String| Warning {
            position: Position {
                file: file.clone(),
                line,
            },
            reason,
        };
        let text = match std::str::from_utf8(text) {
            Ok(t) => t,
            Err(_) => {
                self.warnings.push(warn("not valid UTF-8".into()));
                return;
            }
        };
        match parse::parse_line(text) {
            Ok(None) => {}
            Ok(Some(parsed)) => self.push(Entry {
                position: Position {
                    file: file.clone(),
                    line,
                },
                parsed,
            }),
            Err(reason) => self.warnings.push(warn(reason)),
        }
    }

    fn push(&mut self, entry: Entry) {
        let index = self.list.len();
        match entry.parsed.hosts.literal_names() {
            Some(names) => {
                for name in names {
                    let slot = self.by_name.entry(name.clone()).or_default();
                    // `a,a` on one line must not list the line twice.
                    if slot.last() != Some(&index) {
                        slot.push(index);
                    }
                }
            }
            None => {
                self.scan.push(index);
                self.scan_hits
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clear();
            }
        }
        self.list.push(entry);
    }

    /// Forget what the incomplete last line produced, so it is parsed again once complete.
    fn drop_partial_tail(&mut self) {
        let keep = self.complete_lines;
        while self.list.last().is_some_and(|e| e.position.line > keep) {
            let index = self.list.len() - 1;
            if let Some(entry) = self.list.pop() {
                match entry.parsed.hosts.literal_names() {
                    Some(names) => {
                        for name in names {
                            if let Some(slot) = self.by_name.get_mut(name) {
                                slot.retain(|&i| i != index);
                            }
                        }
                    }
                    None => {
                        self.scan.retain(|&i| i != index);
                        self.scan_hits
                            .get_mut()
                            .unwrap_or_else(PoisonError::into_inner)
                            .clear();
                    }
                }
            }
        }
        self.warnings.retain(|w| w.position.line <= keep);
        self.partial_tail = false;
    }

    /// Every line whose host patterns apply to `name`, in file order.
    fn matching(&self, name: &str) -> Vec<&Entry> {
        let mut indices: Vec<usize> = self.by_name.get(name).cloned().unwrap_or_default();
        indices.extend(self.scan_matches(name).iter().copied());
        indices.sort_unstable();
        indices.dedup();
        indices.into_iter().map(|i| &self.list[i]).collect()
    }

    /// The `scan` entries that apply to `name`, computed once per name (outside the lock,
    /// so handshakes for different hosts hash in parallel).
    fn scan_matches(&self, name: &str) -> Arc<[usize]> {
        let memo = || {
            self.scan_hits
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(found) = memo().get(name) {
            return found.clone();
        }
        let found: Arc<[usize]> = self
            .scan
            .iter()
            .copied()
            .filter(|&i| self.list[i].parsed.hosts.matches(name))
            .collect();
        memo().insert(name.to_string(), found.clone());
        found
    }
}

/// A parsed known_hosts file, shared by every handshake of the run.
#[derive(Debug)]
pub struct KnownHosts {
    path: Arc<Path>,
    state: RwLock<Entries>,
    /// Serialises this process's writers; other processes are kept out by the file lock.
    writer: Mutex<()>,
    reads: AtomicUsize,
}

/// Files already parsed by this process, by path.
static CACHE: LazyLock<Mutex<HashMap<PathBuf, Arc<KnownHosts>>>> = LazyLock::new(Default::default);

impl KnownHosts {
    /// The parsed file at `path`, read once per process and then shared; a missing file is
    /// empty, an unreadable one an error (which is not cached, so a later call retries).
    pub fn load(path: &Path) -> Result<Arc<KnownHosts>, KnownHostsError> {
        let key = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        // Held while parsing: 500 handshakes starting together wait for one parse instead of
        // each doing their own.
        let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = cache.get(&key) {
            return Ok(known.clone());
        }
        let known = Arc::new(KnownHosts::load_uncached(path)?);
        cache.insert(key, known.clone());
        Ok(known)
    }

    /// Read and parse `path` without the process-wide cache.
    pub fn load_uncached(path: &Path) -> Result<KnownHosts, KnownHostsError> {
        let known = KnownHosts {
            path: Arc::from(path),
            state: RwLock::new(Entries::default()),
            writer: Mutex::new(()),
            reads: AtomicUsize::new(0),
        };
        let read_error = |source| KnownHostsError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(known),
            Err(e) => return Err(read_error(e)),
        };
        // Writers hold the exclusive lock while appending: never parse half a line of theirs.
        file.lock_shared().map_err(read_error)?;
        {
            let mut state = known.state.write().unwrap_or_else(PoisonError::into_inner);
            known.refresh(&mut state, &mut file).map_err(read_error)?;
        }
        Ok(known)
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines skipped as malformed or not UTF-8.
    pub fn warnings(&self) -> Vec<Warning> {
        self.entries().warnings.clone()
    }

    /// How many times the file has been read (the initial parse plus tail reads by `learn`).
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::Relaxed)
    }

    /// Check a plain host key presented by `host` on `port`.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> Verdict {
        check::key(&self.entries(), host, port, key)
    }

    /// Check what russh's `check_server_key` received: a plain key or a host certificate.
    pub fn check_server_key(
        &self,
        host: &str,
        port: u16,
        presented: &PublicKeyOrCertificate,
    ) -> HostKeyCheck {
        match presented {
            PublicKeyOrCertificate::PublicKey { key, .. } => HostKeyCheck {
                verdict: self.check(host, port, key),
                certificate_note: None,
            },
            PublicKeyOrCertificate::Certificate(cert) => {
                self.check_certificate(host, port, cert, std::time::SystemTime::now())
            }
        }
    }

    /// Check a host certificate as of `now`. Like OpenSSH, a certificate that no listed CA
    /// vouches for (or that is invalid) is checked again as the plain key it contains.
    pub fn check_certificate(
        &self,
        host: &str,
        port: u16,
        cert: &russh::keys::Certificate,
        now: std::time::SystemTime,
    ) -> HostKeyCheck {
        check::certificate(&self.entries(), host, port, cert, now)
    }

    /// Move the host key algorithms of keys recorded for this host to the front of
    /// `preferred.key` (OpenSSH does the same), so a host with several keys presents the one
    /// we know instead of tripping [`Verdict::Changed`].
    pub fn prefer_recorded_algorithms(
        &self,
        host: &str,
        port: u16,
        preferred: &mut russh::Preferred,
    ) {
        let recorded = check::recorded_algorithms(&self.entries(), host, port);
        let (mut front, back): (Vec<_>, Vec<_>) = preferred
            .key
            .iter()
            .cloned()
            .partition(|a| recorded.iter().any(|r| r == a || (is_rsa(r) && is_rsa(a))));
        front.extend(back);
        preferred.key = std::borrow::Cow::Owned(front);
    }

    /// Whether an `@cert-authority` line applies to this host (worth asking for certificates).
    pub fn has_cert_authority(&self, host: &str, port: u16) -> bool {
        check::has_cert_authority(&self.entries(), host, port)
    }

    /// Record `key` for `host`/`port` (accept-new): appends `name keytype base64` exactly once
    /// across threads and processes, under an exclusive lock on the file, after reading what
    /// other writers appended meanwhile. Creates the parent directory (0700) and the file
    /// (0600) if missing.
    pub fn learn(
        &self,
        host: &str,
        port: u16,
        key: &PublicKey,
    ) -> Result<Learned, KnownHostsError> {
        if !parse::is_plain_host(host) {
            return Err(KnownHostsError::BadHostName {
                host: host.to_string(),
            });
        }
        let _serial = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let write_error = |source| KnownHostsError::Write {
            path: self.path.to_path_buf(),
            source,
        };
        let read_error = |source| KnownHostsError::Read {
            path: self.path.to_path_buf(),
            source,
        };
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.exists()
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(write_error)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(write_error)?;
        file.lock().map_err(write_error)?;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        self.refresh(&mut state, &mut file).map_err(read_error)?;
        match check::key(&state, host, port, key) {
            Verdict::Known { line } => return Ok(Learned::AlreadyKnown { line }),
            Verdict::Unknown => {}
            other => return Ok(Learned::Refused(other)),
        }
        let record = PublicKey::new(key.key_data().clone(), "")
            .to_openssh()
            .map_err(|e| write_error(io::Error::new(io::ErrorKind::InvalidData, e.to_string())))?;
        // Complete a last line another editor left without its newline, so the two do not
        // run together; and write the whole line at once, so no reader sees half of it.
        let newline = if state.partial_tail { "\n" } else { "" };
        let text = format!("{newline}{} {record}\n", parse::host_name(host, port));
        file.write_all(text.as_bytes()).map_err(write_error)?;
        self.refresh(&mut state, &mut file).map_err(read_error)?;
        let outcome = match check::key(&state, host, port, key) {
            Verdict::Known { line } => Learned::Added { line },
            other => Learned::Refused(other),
        };
        drop(state);
        file.unlock().map_err(write_error)?;
        Ok(outcome)
    }

    fn entries(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bring `state` up to date with `file`: read only what was appended since the last read,
    /// or everything again if the file was replaced or shrank.
    fn refresh(&self, state: &mut Entries, file: &mut File) -> io::Result<()> {
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        let identity = (meta.dev(), meta.ino());
        if state.identity != Some(identity) || meta.len() < state.complete_len {
            *state = Entries {
                identity: Some(identity),
                ..Entries::default()
            };
        }
        if state.partial_tail {
            state.drop_partial_tail();
        }
        if meta.len() > state.complete_len {
            file.seek(SeekFrom::Start(state.complete_len))?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            self.reads.fetch_add(1, Ordering::Relaxed);
            state.ingest(&self.path, &bytes);
        }
        Ok(())
    }
}

#[cfg(test)]
impl KnownHosts {
    /// Number of parsed (non-comment, well-formed) lines.
    fn entry_count(&self) -> usize {
        self.entries().list.len()
    }
}

/// Whether an algorithm is one of the RSA signature variants (one RSA key serves them all).
fn is_rsa(a: &russh::keys::Algorithm) -> bool {
    matches!(a, russh::keys::Algorithm::Rsa { .. })
}
