//! Host key verification against an OpenSSH known_hosts file.

use super::{SshError, SshTarget};
use russh::keys::known_hosts::{known_host_keys_path, learn_known_hosts_path};
use russh::keys::{HashAlg, PublicKey, PublicKeyOrCertificate};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What to do with host keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KnownHostsPolicy {
    /// Only connect to hosts whose key is already recorded.
    Strict,
    /// Record keys of new hosts, refuse changed keys (OpenSSH `accept-new`).
    #[default]
    AcceptNew,
    /// Do not check host keys at all (lab use only).
    Off,
}

/// Slot where the handler leaves the reason for rejecting a host key, because russh only
/// reports a generic "unknown key" error to the caller of `connect`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdict(Arc<Mutex<Option<SshError>>>);

impl Verdict {
    fn set(&self, e: SshError) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(e);
        }
    }

    pub(crate) fn take(&self) -> Option<SshError> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

/// russh client handler: verifies the server's host key.
pub(crate) struct ClientHandler {
    host_label: String,
    hostname: String,
    port: u16,
    policy: KnownHostsPolicy,
    file: PathBuf,
    verdict: Verdict,
}

impl ClientHandler {
    pub(crate) fn new(target: &SshTarget, verdict: Verdict) -> Self {
        ClientHandler {
            host_label: target.host_label.clone(),
            hostname: target.hostname.clone(),
            port: target.port,
            policy: target.known_hosts,
            file: target.known_hosts_file.clone(),
            verdict,
        }
    }

    fn file_error(&self, detail: String) -> SshError {
        SshError::KnownHostsFile {
            host: self.host_label.clone(),
            file: self.file.clone(),
            detail,
        }
    }

    /// Decide whether `key` is acceptable; `Err` carries the precise reason.
    fn verify(&self, key: &PublicKey) -> Result<(), SshError> {
        if self.policy == KnownHostsPolicy::Off {
            return Ok(());
        }
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let key_host = known_hosts_name(&self.hostname, self.port);
        let recorded = known_host_keys_path(&self.hostname, self.port, &self.file)
            .map_err(|e| self.file_error(format!("cannot read: {e}")))?;
        if recorded.iter().any(|(_, k)| k.key_data() == key.key_data()) {
            return Ok(());
        }
        if let Some((entry, _)) = recorded
            .iter()
            .find(|(_, k)| k.algorithm() == key.algorithm())
            .or_else(|| recorded.first())
        {
            // A recorded key of any type that does not match is treated as a change: accepting a
            // key of a different type would let a man-in-the-middle pick an algorithm we have
            // not pinned.
            return Err(SshError::HostKeyMismatch {
                host: self.host_label.clone(),
                key_host,
                file: self.file.clone(),
                line: real_line_number(&self.file, *entry),
                fingerprint,
            });
        }
        match self.policy {
            KnownHostsPolicy::Strict => Err(SshError::HostKeyUnknown {
                host: self.host_label.clone(),
                key_host,
                file: self.file.clone(),
                fingerprint,
            }),
            _ => learn_known_hosts_path(&self.hostname, self.port, key, &self.file)
                .map_err(|e| self.file_error(format!("cannot record new host key: {e}"))),
        }
    }
}

/// The host name as OpenSSH writes it in known_hosts (`[host]:port` unless port 22).
pub fn known_hosts_name(hostname: &str, port: u16) -> String {
    if port == 22 {
        hostname.to_string()
    } else {
        format!("[{hostname}]:{port}")
    }
}

/// russh numbers known_hosts entries skipping comment lines; map back to the file's line.
fn real_line_number(file: &Path, entry: usize) -> Option<usize> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        seen += 1;
        if seen == entry {
            return Some(i + 1);
        }
    }
    None
}

impl russh::client::Handler for ClientHandler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            // Host certificates are checked like plain keys: netrun has no CA configuration.
            PublicKeyOrCertificate::Certificate(cert) => {
                PublicKey::new(cert.public_key().clone(), "")
            }
        };
        match self.verify(&key) {
            Ok(()) => Ok(true),
            Err(e) => {
                self.verdict.set(e);
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hosts_name_brackets_non_default_ports() {
        assert_eq!(known_hosts_name("r1", 22), "r1");
        assert_eq!(known_hosts_name("127.0.0.1", 2222), "[127.0.0.1]:2222");
    }

    #[test]
    fn line_numbers_count_comments() {
        let dir = std::env::temp_dir().join(format!("netrun-kh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let f = dir.join("known_hosts");
        std::fs::write(&f, "# c1\na k1\n# c2\nb k2\n").expect("write");
        assert_eq!(real_line_number(&f, 1), Some(2));
        assert_eq!(real_line_number(&f, 2), Some(4));
        assert_eq!(real_line_number(&f, 3), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn policy_parses_from_yaml() {
        let p: KnownHostsPolicy = serde_yaml::from_str("accept-new").expect("yaml");
        assert_eq!(p, KnownHostsPolicy::AcceptNew);
        let p: KnownHostsPolicy = serde_yaml::from_str("strict").expect("yaml");
        assert_eq!(p, KnownHostsPolicy::Strict);
    }
}
