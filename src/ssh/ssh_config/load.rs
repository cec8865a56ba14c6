//! Reading config files into typed directives: values are checked here, once, so a bad line is
//! reported with its `file:line` at load time; `Include` files are read here too (relative
//! paths under `~/.ssh/`, globs, at most 16 levels deep), each keeping its own line numbers.

use super::lexer::{self, Tokens};
use super::{Local, ProxyCommand, ProxyJump, SshConfigError, StrictHostKeyChecking};
use crate::ssh::known_hosts::pattern::wildcard_match;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// OpenSSH's limit on nested `Include`s.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Where a directive is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Place {
    pub(super) file: Arc<Path>,
    pub(super) line: usize,
}

/// One `Match` criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Criterion {
    /// `all`.
    All,
    /// `host LIST`: the host name (HostName if already set), case-insensitive.
    Host(String),
    /// `originalhost LIST`: the alias as given.
    OriginalHost(String),
    /// `user LIST`: the remote user.
    User(String),
    /// `localuser LIST`: the local user.
    LocalUser(String),
    /// `canonical`: false, since netrun never canonicalizes host names (as OpenSSH with
    /// `CanonicalizeHostname no`), so `!canonical` is true.
    Canonical,
    /// Anything netrun cannot evaluate (`exec`, `final`, ...): the block never applies.
    Unsupported,
}

/// A setting netrun uses: one variant per keyword of the same name, value already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Setting {
    HostName(String),
    User(String),
    Port(u16),
    IdentityFile(String),
    IdentitiesOnly(bool),
    ProxyJump(ProxyJump),
    ProxyCommand(ProxyCommand),
    StrictHostKeyChecking(StrictHostKeyChecking),
    UserKnownHostsFile(Vec<String>),
    GlobalKnownHostsFile(Vec<String>),
    HostKeyAlias(String),
    ConnectTimeout(Option<Duration>),
    ServerAliveInterval(Duration),
    ServerAliveCountMax(u32),
    KexAlgorithms(String),
    Ciphers(String),
    Macs(String),
    HostKeyAlgorithms(String),
}

/// A directive that matters for resolution.
#[derive(Debug, Clone)]
pub(super) enum Item {
    /// `Host` patterns (whitespace-separated, each may start with `!`).
    Host(Vec<String>),
    /// `Match` criteria, each possibly negated.
    Match(Vec<(bool, Criterion)>),
    /// The files an `Include` line brought in, in glob order.
    Include(Vec<Parsed>),
    /// A setting.
    Set(Setting),
}

/// A parsed file.
#[derive(Debug, Clone)]
pub(super) struct Parsed {
    pub(super) items: Vec<(Place, Item)>,
}

/// Client keywords OpenSSH knows that netrun does not act on: skipped silently.
#[rustfmt::skip]
const IGNORED: &[&str] = &[
    "addkeystoagent", "addressfamily", "batchmode", "bindaddress", "bindinterface",
    "canonicaldomains", "canonicalizefallbacklocal", "canonicalizehostname", "canonicalizemaxdots",
    "canonicalizepermittedcnames", "casignaturealgorithms", "certificatefile",
    "challengeresponseauthentication", "channeltimeout", "checkhostip", "cipher",
    "clearallforwardings", "compression", "connectionattempts", "controlmaster", "controlpath",
    "controlpersist", "dynamicforward", "enableescapecommandline", "enablesshkeysign",
    "escapechar", "exitonforwardfailure", "fingerprinthash", "forkafterauthentication",
    "forwardagent", "forwardx11", "forwardx11timeout", "forwardx11trusted", "gatewayports",
    "gssapiauthentication", "gssapiclientidentity",
    "gssapidelegatecredentials", "gssapikeyexchange", "gssapirenewalforcesrekey",
    "gssapiserveridentity", "gssapitrustdns", "gssapikexalgorithms", "hashknownhosts",
    "hostbasedacceptedalgorithms", "hostbasedauthentication", "hostbasedkeytypes",
    "identityagent", "ignoreunknown", "ipqos", "kbdinteractiveauthentication",
    "kbdinteractivedevices", "knownhostscommand", "localcommand", "localforward", "loglevel",
    "logverbose", "nohostauthenticationforlocalhost", "numberofpasswordprompts",
    "obscurekeystroketiming", "passwordauthentication", "permitlocalcommand", "permitremoteopen",
    "pkcs11provider", "preferredauthentications", "protocol", "proxyusefdpass",
    "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes", "pubkeyauthentication", "rekeylimit",
    "remotecommand", "remoteforward", "requesttty", "requiredrsasize", "revokedhostkeys",
    "securitykeyprovider", "sendenv", "sessiontype", "setenv", "stdinnull", "streamlocalbindmask",
    "streamlocalbindunlink", "tag", "tcpkeepalive", "tunnel", "tunneldevice", "updatehostkeys",
    "useprivilegedport", "verifyhostkeydns", "visualhostkey", "warnweakcrypto", "xauthlocation",
];

/// Reads files, collecting notes about what was skipped.
pub(super) struct Loader<'a> {
    pub(super) local: &'a Local,
    pub(super) notes: Vec<String>,
}

impl Loader<'_> {
    /// Read and parse one file; `include` is the `Include` line that named it, if any.
    pub(super) fn file(
        &mut self,
        path: &Path,
        depth: usize,
        include: Option<&Place>,
    ) -> Result<Parsed, SshConfigError> {
        let bytes = std::fs::read(path).map_err(|source| match include {
            None => SshConfigError::Read {
                path: path.to_path_buf(),
                source,
            },
            Some(at) => invalid(
                at,
                format!("cannot read included file {}: {source}", path.display()),
            ),
        })?;
        let file: Arc<Path> = Arc::from(path);
        let mut items = Vec::new();
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let place = Place {
                file: file.clone(),
                line: i + 1,
            };
            let text =
                std::str::from_utf8(line).map_err(|_| invalid(&place, "not valid UTF-8".into()))?;
            let tokens = lexer::split_line(text).map_err(|m| invalid(&place, m))?;
            if let Some(tokens) = tokens
                && let Some(item) = self.directive(&place, tokens, depth)?
            {
                items.push((place, item));
            }
        }
        Ok(Parsed { items })
    }

    fn directive(
        &mut self,
        at: &Place,
        t: Tokens,
        depth: usize,
    ) -> Result<Option<Item>, SshConfigError> {
        let one = || match t.args.as_slice() {
            [value] if !value.is_empty() => Ok(value.clone()),
            [_] | [] => Err(invalid(at, format!("{} needs a value", t.keyword))),
            _ => Err(invalid(at, format!("{} takes one value", t.keyword))),
        };
        let setting = match t.keyword.as_str() {
            "host" => {
                if t.args.iter().any(String::is_empty) || t.args.is_empty() {
                    return Err(invalid(at, "Host needs patterns".into()));
                }
                return Ok(Some(Item::Host(t.args)));
            }
            "match" => return Ok(Some(Item::Match(self.criteria(at, &t.args)?))),
            "include" => return Ok(Some(Item::Include(self.include(at, &t.args, depth)?))),
            "hostname" => Setting::HostName(one()?),
            "user" => Setting::User(one()?),
            "port" => {
                let v = one()?;
                match v.parse::<u16>() {
                    Ok(p) if p > 0 => Setting::Port(p),
                    _ => return Err(invalid(at, format!("bad port '{v}'"))),
                }
            }
            "identityfile" => Setting::IdentityFile(one()?),
            "identitiesonly" => Setting::IdentitiesOnly(flag(at, &one()?)?),
            "proxyjump" => Setting::ProxyJump(proxy_jump(at, &t.rest)?),
            "proxycommand" => Setting::ProxyCommand(if t.rest.eq_ignore_ascii_case("none") {
                ProxyCommand::None
            } else {
                ProxyCommand::Command(t.rest.clone())
            }),
            "stricthostkeychecking" => {
                let v = one()?;
                let policy = match v.to_ascii_lowercase().as_str() {
                    "yes" | "true" => StrictHostKeyChecking::Yes,
                    "accept-new" => StrictHostKeyChecking::AcceptNew,
                    "ask" => StrictHostKeyChecking::Ask,
                    "no" | "off" | "false" => StrictHostKeyChecking::Off,
                    _ => return Err(invalid(at, format!("bad StrictHostKeyChecking '{v}'"))),
                };
                Setting::StrictHostKeyChecking(policy)
            }
            "userknownhostsfile" => Setting::UserKnownHostsFile(t.args.clone()),
            "globalknownhostsfile" => Setting::GlobalKnownHostsFile(t.args.clone()),
            "hostkeyalias" => Setting::HostKeyAlias(one()?),
            "connecttimeout" => {
                let v = one()?;
                Setting::ConnectTimeout(if v == "none" {
                    None
                } else {
                    Some(time(at, &v)?)
                })
            }
            "serveraliveinterval" => Setting::ServerAliveInterval(time(at, &one()?)?),
            "serveralivecountmax" => {
                let v = one()?;
                Setting::ServerAliveCountMax(
                    v.parse()
                        .map_err(|_| invalid(at, format!("bad ServerAliveCountMax '{v}'")))?,
                )
            }
            "kexalgorithms" => Setting::KexAlgorithms(one()?),
            "ciphers" => Setting::Ciphers(one()?),
            "macs" => Setting::Macs(one()?),
            "hostkeyalgorithms" => Setting::HostKeyAlgorithms(one()?),
            k if IGNORED.contains(&k) => return Ok(None),
            k => {
                self.notes
                    .push(format!("{}: unknown keyword \"{k}\" ignored", show(at)));
                return Ok(None);
            }
        };
        Ok(Some(Item::Set(setting)))
    }

    fn criteria(
        &mut self,
        at: &Place,
        args: &[String],
    ) -> Result<Vec<(bool, Criterion)>, SshConfigError> {
        let mut out = Vec::new();
        let mut args = args.iter().take_while(|a| !a.starts_with('#')).peekable();
        while let Some(arg) = args.next() {
            let (negated, attribute) = match arg.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, arg.as_str()),
            };
            let (name, inline) = match attribute.split_once('=') {
                Some((n, v)) => (n.to_ascii_lowercase(), Some(v.to_string())),
                None => (attribute.to_ascii_lowercase(), None),
            };
            if name == "all" {
                if !out.is_empty() || args.peek().is_some() {
                    return Err(invalid(
                        at,
                        "Match all cannot be combined with other criteria".into(),
                    ));
                }
                out.push((negated, Criterion::All));
                continue;
            }
            if name == "canonical" {
                out.push((negated, Criterion::Canonical));
                continue;
            }
            if name == "final" {
                // A second, final pass over the whole config is not implemented.
                self.unsupported(at, &name);
                out.push((negated, Criterion::Unsupported));
                continue;
            }
            let value = match inline {
                Some(v) => v,
                None => args
                    .next()
                    .cloned()
                    .ok_or_else(|| invalid(at, format!("missing argument for Match {name}")))?,
            };
            let criterion = match name.as_str() {
                "host" => Criterion::Host(value),
                "originalhost" => Criterion::OriginalHost(value),
                "user" => Criterion::User(value),
                "localuser" => Criterion::LocalUser(value),
                _ => {
                    self.unsupported(at, &name);
                    Criterion::Unsupported
                }
            };
            out.push((negated, criterion));
        }
        if out.is_empty() {
            return Err(invalid(at, "Match needs criteria".into()));
        }
        Ok(out)
    }

    fn unsupported(&mut self, at: &Place, name: &str) {
        self.notes.push(format!(
            "{}: Match {name} is not supported by netrun; that block never applies",
            show(at)
        ));
    }

    fn include(
        &mut self,
        at: &Place,
        args: &[String],
        depth: usize,
    ) -> Result<Vec<Parsed>, SshConfigError> {
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(invalid(
                at,
                format!("Include nested more than {MAX_INCLUDE_DEPTH} levels deep (a loop?)"),
            ));
        }
        let mut files = Vec::new();
        for arg in args {
            let mut expanded = self.local.expand_home_and_env(arg, &mut self.notes);
            if !expanded.is_absolute() {
                // User configuration: relative includes live in ~/.ssh (ssh_config(5)).
                expanded = self.local.home.join(".ssh").join(expanded);
            }
            for path in glob(&expanded) {
                files.push(self.file(&path, depth + 1, Some(at))?);
            }
        }
        Ok(files)
    }
}

fn invalid(at: &Place, message: String) -> SshConfigError {
    SshConfigError::Invalid {
        file: at.file.to_path_buf(),
        line: at.line,
        message,
    }
}

/// `file:line` for notes.
pub(super) fn show(at: &Place) -> String {
    format!("{}:{}", at.file.display(), at.line)
}

fn flag(at: &Place, v: &str) -> Result<bool, SshConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(invalid(at, format!("expected yes or no, not '{v}'"))),
    }
}

/// OpenSSH time format: `30`, `30s`, `5m`, `1h30m`, `2d`, `1w` (units s, m, h, d, w).
fn time(at: &Place, v: &str) -> Result<Duration, SshConfigError> {
    let bad = || invalid(at, format!("bad time value '{v}'"));
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in v.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = total.checked_add(n).ok_or_else(bad)?;
    } else if v.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// `none`, or comma-separated `[user@]host[:port]` / `ssh://[user@]host[:port]` hops.
fn proxy_jump(at: &Place, rest: &str) -> Result<ProxyJump, SshConfigError> {
    let text = rest.split('#').next().unwrap_or("").trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(ProxyJump::None);
    }
    let mut hops = Vec::new();
    for hop in text.split(',') {
        hops.push(
            super::JumpHost::parse(hop.trim())
                .ok_or_else(|| invalid(at, format!("bad ProxyJump hop '{hop}'")))?,
        );
    }
    Ok(ProxyJump::Hops(hops))
}

/// Expand `*` and `?` in path components, sorted like glob(3); names starting with `.` only
/// match patterns that start with `.`. A path without wildcards is returned if it exists.
fn glob(path: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for component in path.components() {
        let part = component.as_os_str().to_string_lossy();
        if !part.contains(['*', '?']) {
            for p in &mut found {
                p.push(component);
            }
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    (!n.starts_with('.') || part.starts_with('.')) && wildcard_match(n, &part)
                })
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| dir.join(n)));
        }
        found = next;
    }
    found.retain(|p| p.exists());
    found
}
