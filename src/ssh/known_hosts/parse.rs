//! One known_hosts line as sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" describes it:
//! `[@marker] hostpatterns keytype base64key [comment]`.

use super::pattern::{self, ListMatch};
use data_encoding::BASE64;
use hmac::{KeyInit, Mac};
use russh::keys::PublicKey;

/// The HMAC-SHA1 output (and salt) length of a hashed host name.
const HASH_LEN: usize = 20;

/// The optional marker in front of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    /// A plain host key.
    None,
    /// `@cert-authority`: the key is a CA whose host certificates are trusted for the hosts.
    CertAuthority,
    /// `@revoked`: the key must never be accepted for the hosts.
    Revoked,
}

/// Which host names a line applies to.
#[derive(Debug, Clone)]
pub(crate) enum Hosts {
    /// Comma-separated patterns, lower-cased (host names compare case-insensitively).
    Patterns(Vec<String>),
    /// `|1|salt|hmac`: HMAC-SHA1 of the host name keyed with the salt (HashKnownHosts yes).
    Hashed {
        /// The salt, also the HMAC key.
        salt: Vec<u8>,
        /// HMAC-SHA1(salt, name) of the one name this line is for.
        mac: Vec<u8>,
    },
}

impl Hosts {
    /// Whether the line applies to `name` (`host` or `[host]:port`, lower case).
    pub(crate) fn matches(&self, name: &str) -> bool {
        match self {
            Hosts::Patterns(patterns) => {
                pattern::match_list(name, patterns.iter().map(String::as_str), false)
                    == ListMatch::Positive
            }
            Hosts::Hashed { salt, mac } => {
                let Ok(mut hmac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(salt) else {
                    return false;
                };
                hmac.update(name.as_bytes());
                hmac.verify_slice(mac).is_ok()
            }
        }
    }

    /// The names under which the line can be found by exact lookup, or `None` when it has
    /// to be tried against every name (wildcards, negations, hashes).
    pub(crate) fn literal_names(&self) -> Option<&[String]> {
        match self {
            Hosts::Patterns(p) if p.iter().all(|p| pattern::is_literal(p)) => Some(p),
            _ => None,
        }
    }
}

/// A parsed, non-comment line.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// Marker, if any.
    pub(crate) marker: Marker,
    /// Host patterns or hash.
    pub(crate) hosts: Hosts,
    /// The key.
    pub(crate) key: PublicKey,
}

/// Parse one line (without its newline). `Ok(None)` for blank lines and comments; `Err` says
/// why a line is malformed.
pub(crate) fn parse_line(text: &str) -> Result<Option<Line>, String> {
    let mut fields = text.split([' ', '\t']).filter(|f| !f.is_empty());
    let Some(mut first) = fields.next() else {
        return Ok(None);
    };
    if first.starts_with('#') {
        return Ok(None);
    }
    let marker = match first {
        "@cert-authority" => Marker::CertAuthority,
        "@revoked" => Marker::Revoked,
        m if m.starts_with('@') => return Err(format!("unknown marker '{m}'")),
        _ => Marker::None,
    };
    if marker != Marker::None {
        first = fields.next().ok_or("nothing after the marker")?;
        if first.starts_with('@') {
            return Err("more than one marker".into());
        }
    }
    let hosts = parse_hosts(first)?;
    let key_type = fields.next().ok_or("no key type after the host names")?;
    let base64 = fields.next().ok_or("no key after the key type")?;
    if key_type.starts_with('#') || base64.starts_with('#') {
        return Err("truncated before the key".into());
    }
    // ssh-key checks that the type named on the line is the type encoded in the blob.
    let key = PublicKey::from_openssh(&format!("{key_type} {base64}"))
        .map_err(|e| format!("bad {key_type} key: {e}"))?;
    Ok(Some(Line { marker, hosts, key }))
}

fn parse_hosts(field: &str) -> Result<Hosts, String> {
    if let Some(rest) = field.strip_prefix('|') {
        let rest = rest
            .strip_prefix("1|")
            .ok_or("hashed host name of an unknown kind (expected |1|)")?;
        let (salt, mac) = rest
            .split_once('|')
            .ok_or("hashed host name without its hash")?;
        let salt = BASE64
            .decode(salt.as_bytes())
            .map_err(|_| "hashed host name: salt is not base64")?;
        let mac = BASE64
            .decode(mac.as_bytes())
            .map_err(|_| "hashed host name: hash is not base64")?;
        if salt.len() != HASH_LEN || mac.len() != HASH_LEN {
            return Err("hashed host name: salt or hash is not 20 bytes".into());
        }
        return Ok(Hosts::Hashed { salt, mac });
    }
    let patterns: Vec<String> = field
        .split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if patterns.is_empty() {
        return Err("no host names".into());
    }
    Ok(Hosts::Patterns(patterns))
}

/// The name a host is recorded under: `host` for port 22, `[host]:port` otherwise, lower case.
pub(crate) fn host_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// Whether `host` can be written as a known_hosts name that matches only itself: no blanks,
/// control characters, list separators, wildcards, negation, markers, hashes or brackets.
pub(crate) fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && !host.starts_with(['@', '|', '!', '#'])
        && !host.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, ',' | '*' | '?' | '[' | ']')
        })
}
