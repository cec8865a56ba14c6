//! Applying a parsed config to one host: which blocks are active, first value wins, tokens.

use super::load::{Criterion, Item, Parsed, Place, Setting};
use super::{Local, ProxyCommand, ProxyJump, ResolvedHost, Sourced};
use crate::ssh::known_hosts::pattern::{match_comma_list, wildcard_match};

/// Walks the directives for one host.
struct Resolver<'a> {
    local: &'a Local,
    given_user: Option<&'a str>,
    host: ResolvedHost,
}

/// Resolve `alias` against the parsed config (`None`: no config at all).
pub(super) fn resolve(
    root: Option<&Parsed>,
    local: &Local,
    alias: &str,
    user: Option<&str>,
) -> ResolvedHost {
    let mut r = Resolver {
        local,
        given_user: user,
        host: ResolvedHost {
            alias: alias.to_string(),
            ..ResolvedHost::default()
        },
    };
    if let Some(root) = root {
        // Lines before the first Host/Match apply to every host.
        let mut active = true;
        r.walk(root, &mut active);
    }
    r.expand();
    r.host
}

fn sourced<T>(value: T, at: &Place) -> Option<Sourced<T>> {
    Some(Sourced {
        value,
        file: at.file.clone(),
        line: at.line,
    })
}

/// `Host` patterns: any matches and no negated one does; case-sensitive, as OpenSSH.
fn host_matches(alias: &str, patterns: &[String]) -> bool {
    let mut matched = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(negated) if wildcard_match(alias, negated) => return false,
            Some(_) => {}
            None => matched |= wildcard_match(alias, p),
        }
    }
    matched
}

impl Resolver<'_> {
    fn walk(&mut self, file: &Parsed, active: &mut bool) {
        for (at, item) in &file.items {
            match item {
                Item::Host(patterns) => *active = host_matches(&self.host.alias, patterns),
                Item::Match(criteria) => *active = self.match_all(criteria),
                Item::Include(files) => {
                    // An included file starts in the including line's state, and its Host or
                    // Match lines do not leak back out; when the Include itself is in an
                    // inactive block, nothing in the files applies.
                    if *active {
                        for f in files {
                            let mut inner = true;
                            self.walk(f, &mut inner);
                        }
                    }
                }
                Item::Set(setting) => {
                    if *active {
                        self.apply(setting, at);
                    }
                }
            }
        }
    }

    /// The host name `Match host` compares: HostName so far (with `%h`), else the alias.
    fn current_host(&self) -> String {
        match &self.host.hostname {
            Some(h) => expand_hostname(&h.value, &self.host.alias),
            None => self.host.alias.clone(),
        }
    }

    /// The remote user: given, else `User` so far, else the local user.
    fn remote_user(&self) -> String {
        self.given_user
            .map(str::to_string)
            .or_else(|| self.host.user.as_ref().map(|u| u.value.clone()))
            .unwrap_or_else(|| self.local.user.clone())
    }

    fn match_all(&self, criteria: &[(bool, Criterion)]) -> bool {
        criteria.iter().all(|(negated, c)| {
            let hit = match c {
                Criterion::All => true,
                Criterion::Unsupported => return false,
                Criterion::Canonical => false,
                Criterion::Host(list) => {
                    match_comma_list(&self.current_host(), list, true).applies()
                }
                Criterion::OriginalHost(list) => {
                    match_comma_list(&self.host.alias, list, true).applies()
                }
                Criterion::User(list) => {
                    match_comma_list(&self.remote_user(), list, false).applies()
                }
                Criterion::LocalUser(list) => {
                    match_comma_list(&self.local.user, list, false).applies()
                }
            };
            hit != *negated
        })
    }

    fn apply(&mut self, setting: &Setting, at: &Place) {
        let h = &mut self.host;
        macro_rules! first {
            ($field:ident, $value:expr) => {
                if h.$field.is_none() {
                    h.$field = sourced($value, at);
                }
            };
        }
        match setting {
            Setting::HostName(v) => first!(hostname, v.clone()),
            Setting::User(v) => first!(user, v.clone()),
            Setting::Port(v) => first!(port, *v),
            // `IdentityFile none` names no file (OpenSSH uses it to turn off the defaults).
            Setting::IdentityFile(v) if v.eq_ignore_ascii_case("none") => {}
            Setting::IdentityFile(v) => {
                let path = self.local.expand_home_and_env(v, &mut h.notes);
                // Raw for now: %-tokens need the final port and user (see `expand`).
                if !h.identity_files.iter().any(|f| f.value == path) {
                    h.identity_files.extend(sourced(path, at));
                }
            }
            Setting::IdentitiesOnly(v) => first!(identities_only, *v),
            Setting::ProxyJump(jump) => {
                // OpenSSH: ProxyJump and ProxyCommand exclude each other, the first one seen
                // wins; `ProxyJump none` only blocks later ProxyJumps.
                let blocked = matches!(jump, ProxyJump::Hops(_)) && h.proxy_command.is_some();
                if h.proxy_jump.is_none() && !blocked {
                    h.proxy_jump = sourced(jump.clone(), at);
                }
            }
            Setting::ProxyCommand(command) => {
                let blocked = matches!(
                    h.proxy_jump,
                    Some(Sourced {
                        value: ProxyJump::Hops(_),
                        ..
                    })
                );
                if h.proxy_command.is_none() && !blocked {
                    h.proxy_command = sourced(command.clone(), at);
                }
            }
            Setting::StrictHostKeyChecking(v) => first!(strict_host_key_checking, *v),
            Setting::UserKnownHostsFile(v) => {
                let paths = v
                    .iter()
                    .map(|p| self.local.expand_home_and_env(p, &mut h.notes))
                    .collect();
                first!(user_known_hosts_files, paths);
            }
            Setting::GlobalKnownHostsFile(v) => {
                let paths = v
                    .iter()
                    .map(|p| self.local.expand_home_and_env(p, &mut h.notes))
                    .collect();
                first!(global_known_hosts_files, paths);
            }
            Setting::HostKeyAlias(v) => first!(host_key_alias, v.clone()),
            Setting::ConnectTimeout(v) => first!(connect_timeout, *v),
            Setting::ServerAliveInterval(v) => first!(server_alive_interval, *v),
            Setting::ServerAliveCountMax(v) => first!(server_alive_count_max, *v),
            Setting::KexAlgorithms(v) => first!(kex_algorithms, v.clone()),
            Setting::Ciphers(v) => first!(ciphers, v.clone()),
            Setting::Macs(v) => first!(macs, v.clone()),
            Setting::HostKeyAlgorithms(v) => first!(host_key_algorithms, v.clone()),
        }
    }

    /// Expand `%` tokens once every value is known.
    fn expand(&mut self) {
        let alias = self.host.alias.clone();
        if let Some(h) = self.host.hostname.take() {
            self.host.hostname = Some(h.map(|v| expand_hostname(&v, &alias)));
        }
        let remote_host = self.host.hostname_or_alias().to_ascii_lowercase();
        let port = self.host.port_or_default().to_string();
        let remote_user = self.remote_user();
        let home = self.local.home.to_string_lossy().into_owned();
        let tokens = [
            ('h', remote_host.as_str()),
            ('p', port.as_str()),
            ('r', remote_user.as_str()),
            ('n', alias.as_str()),
            ('u', self.local.user.as_str()),
            ('d', home.as_str()),
        ];
        let mut notes = Vec::new();
        let mut path = |p: &std::path::Path, at: String| {
            let text = p.to_string_lossy();
            std::path::PathBuf::from(percent(&text, &tokens, &at, &mut notes))
        };
        for f in &mut self.host.identity_files {
            f.value = path(&f.value, f.place());
        }
        for files in [
            &mut self.host.user_known_hosts_files,
            &mut self.host.global_known_hosts_files,
        ]
        .into_iter()
        .flatten()
        {
            let at = files.place();
            files.value = files.value.iter().map(|p| path(p, at.clone())).collect();
        }
        if let Some(Sourced {
            value: ProxyCommand::Command(command),
            file,
            line,
        }) = &mut self.host.proxy_command
        {
            // ProxyCommand knows %h, %n, %p, %r (ssh_config(5) TOKENS).
            let at = format!("{}:{line}", file.display());
            *command = percent(command, &tokens[..4], &at, &mut notes);
        }
        self.host.notes.extend(notes);
    }
}

/// `HostName` knows only `%h` (the alias) and `%%`.
fn expand_hostname(value: &str, alias: &str) -> String {
    let mut ignored = Vec::new();
    percent(value, &[('h', alias)], "", &mut ignored)
}

/// Replace `%x` tokens; `%%` is a percent sign; an unknown token is left as written and noted.
fn percent(text: &str, tokens: &[(char, &str)], at: &str, notes: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(t) => match tokens.iter().find(|(k, _)| *k == t) {
                Some((_, v)) => out.push_str(v),
                None => {
                    notes.push(format!(
                        "{at}: token %{t} in '{text}' is not supported; left as written"
                    ));
                    out.push('%');
                    out.push(t);
                }
            },
            None => out.push('%'),
        }
    }
    out
}
