//! The OpenSSH client configuration applied to one target. Precedence: inventory values >
//! ssh_config > netrun.yaml > built-ins; the plugin applies netrun.yaml first, this module the
//! ssh_config values the inventory left unset, and the inventory's extras come last. Each value
//! remembers where it came from, for `netrun inventory show --explain`.

use std::collections::BTreeMap;
use std::path::Path;

use super::ssh_config::{JumpHost, ProxyCommand, ProxyJump, ResolvedHost, Sourced, SshConfig};
use super::{KnownHostsPolicy, SshTarget};
use crate::connection::Target;

/// Source of a value neither the inventory nor ssh_config set.
pub(crate) const SETTINGS: &str = "netrun.yaml or built-in default";
/// Source of a value the inventory set.
pub(crate) const INVENTORY: &str = "inventory";

/// Where each effective setting came from, by key.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    by_key: BTreeMap<&'static str, String>,
    /// The algorithm options as written, shown instead of russh's long lists.
    algorithms: Option<String>,
}

impl Sources {
    pub(crate) fn set(&mut self, key: &'static str, source: impl Into<String>) {
        self.by_key.insert(key, source.into());
    }

    pub(crate) fn get(&self, key: &str) -> &str {
        self.by_key.get(key).map_or(SETTINGS, String::as_str)
    }
}

/// The ssh_config settings for a target: resolved under its inventory name, then under its
/// inventory hostname for whatever the name left unset (so `Host 10.1.*` applies to a host
/// whose `hostname:` is in that range, as it would to `ssh 10.1.2.3`).
pub(crate) fn resolve(config: &SshConfig, target: &Target) -> ResolvedHost {
    let user = target.username.as_deref();
    let mut resolved = config.resolve(&target.host, user);
    if target.hostname_set && target.hostname != target.host {
        resolved.fill_from(config.resolve(&target.hostname, user));
    }
    resolved
}

/// `file:line` with the home directory shown as `~`.
pub(crate) fn place<T>(value: &Sourced<T>, home: &Path) -> String {
    let file = match value.file.strip_prefix(home) {
        Ok(rest) if !home.as_os_str().is_empty() => format!("~/{}", rest.display()),
        _ => value.file.display().to_string(),
    };
    format!("{file}:{}", value.line)
}

/// Applies what ssh_config says to `ssh` where the inventory said nothing (the caller applies
/// the inventory's extras afterwards, which override). Errors name the config line.
pub(crate) fn apply(
    ssh: &mut SshTarget,
    resolved: &ResolvedHost,
    target: &Target,
    home: &Path,
    sources: &mut Sources,
) -> Result<(), String> {
    macro_rules! from_config {
        ($key:literal, $field:expr) => {
            sources.set($key, place($field, home))
        };
    }
    match (&target.username, &resolved.user) {
        (Some(_), _) => sources.set("username", INVENTORY),
        (None, Some(user)) => {
            ssh.username = user.value.clone();
            from_config!("username", user);
        }
        (None, None) => {}
    }
    if target.hostname_set {
        sources.set("hostname", INVENTORY);
    } else if let Some(h) = &resolved.hostname {
        ssh.hostname = h.value.clone();
        from_config!("hostname", h);
    } else {
        sources.set("hostname", "inventory name");
    }
    match (&target.port, &resolved.port) {
        (Some(_), _) => sources.set("port", INVENTORY),
        (None, Some(port)) => {
            ssh.port = port.value;
            from_config!("port", port);
        }
        (None, None) => sources.set("port", "built-in default"),
    }
    if let Some(first) = resolved.identity_files.first() {
        ssh.identity_files = resolved
            .identity_files
            .iter()
            .map(|f| f.value.clone())
            .collect();
        from_config!("identity_files", first);
    }
    if let Some(only) = &resolved.identities_only {
        ssh.identities_only = only.value;
        from_config!("identities_only", only);
    }
    if let Some(strict) = &resolved.strict_host_key_checking {
        ssh.known_hosts = strict.value.policy();
        from_config!("known_hosts", strict);
    }
    if let Some(files) = &resolved.user_known_hosts_files
        && let Some((first, rest)) = files.value.split_first()
    {
        ssh.known_hosts_file = first.clone();
        ssh.known_hosts_extra.extend(rest.iter().cloned());
        from_config!("known_hosts_file", files);
    }
    if let Some(files) = &resolved.global_known_hosts_files {
        ssh.known_hosts_extra.extend(files.value.iter().cloned());
    }
    if let Some(alias) = &resolved.host_key_alias {
        ssh.host_key_alias = Some(alias.value.clone());
        from_config!("host_key_alias", alias);
    }
    if let Some(timeout) = &resolved.connect_timeout {
        // `ConnectTimeout none` means the system's TCP timeout; netrun keeps its own bound.
        if let Some(d) = timeout.value {
            ssh.timeouts.connect = d;
            from_config!("connect_timeout", timeout);
        }
    }
    if let Some(every) = &resolved.server_alive_interval {
        ssh.keepalive = (!every.value.is_zero()).then_some(every.value);
        from_config!("keepalive", every);
    }
    if let Some(count) = &resolved.server_alive_count_max {
        ssh.keepalive_max = usize::try_from(count.value).unwrap_or(usize::MAX).max(1);
    }
    if let Some(command) = &resolved.proxy_command
        && let ProxyCommand::Command(_) = command.value
    {
        return Err(format!(
            "ProxyCommand ({}) is not supported yet; use `--ssh-config none` or `ProxyCommand none` for this host",
            place(command, home)
        ));
    }
    Ok(())
}

/// The key files OpenSSH tries when none is configured (`~/.ssh/id_ed25519`, `id_ecdsa`,
/// `id_rsa`; those missing are passed over when authenticating).
pub(crate) fn default_identities(ssh: &mut SshTarget, home: &Path, sources: &Sources) {
    let configured = ssh.private_key.is_some() || sources.by_key.contains_key("identity_files");
    if configured || home.as_os_str().is_empty() {
        return;
    }
    let dir = home.join(".ssh");
    ssh.identity_files = ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|name| dir.join(name))
        .filter(|path| path.is_file())
        .collect();
}

/// The `ProxyJump` hops ssh_config gives (none for `ProxyJump none`), noted for `--explain`.
pub(crate) fn jump_hosts(
    resolved: &ResolvedHost,
    home: &Path,
    sources: &mut Sources,
) -> Option<Vec<JumpHost>> {
    let jump = resolved.proxy_jump.as_ref()?;
    let ProxyJump::Hops(hops) = &jump.value else {
        return None;
    };
    sources.set("jump", place(jump, home));
    Some(hops.clone())
}

/// `[user@]host[:port]`, comma-separated (`jump_host` in the inventory).
pub(crate) fn parse_jump_hosts(text: &str) -> Option<Vec<JumpHost>> {
    text.split(',')
        .map(|hop| JumpHost::parse(hop.trim()))
        .collect()
}

/// Whether ssh_config changes the algorithm lists.
pub(crate) fn sets_algorithms(resolved: &ResolvedHost) -> bool {
    resolved.kex_algorithms.is_some()
        || resolved.ciphers.is_some()
        || resolved.macs.is_some()
        || resolved.host_key_algorithms.is_some()
}

/// Records the algorithm options as written and where they came from, for `--explain`.
pub(crate) fn note_algorithms(resolved: &ResolvedHost, home: &Path, sources: &mut Sources) {
    let options = [
        ("KexAlgorithms", &resolved.kex_algorithms),
        ("Ciphers", &resolved.ciphers),
        ("MACs", &resolved.macs),
        ("HostKeyAlgorithms", &resolved.host_key_algorithms),
    ];
    let set = || {
        options
            .iter()
            .filter_map(|(name, o)| o.as_ref().map(|o| (name, o)))
    };
    let written: Vec<String> = set()
        .map(|(name, o)| format!("{name} {}", o.value))
        .collect();
    let places: Vec<String> = set().map(|(_, o)| place(o, home)).collect();
    sources.algorithms = Some(written.join("; "));
    sources.set("algorithms", places.join(", "));
}

/// The name of a known_hosts policy as written in netrun.yaml.
pub(crate) fn policy_name(policy: KnownHostsPolicy) -> &'static str {
    match policy {
        KnownHostsPolicy::Strict => "strict",
        KnownHostsPolicy::AcceptNew => "accept-new",
        KnownHostsPolicy::Off => "off",
    }
}

/// The `--explain` rows of a prepared target: `[key, value, source]`.
pub(crate) fn explain_rows(ssh: &SshTarget, sources: &Sources, home: &Path) -> Vec<[String; 3]> {
    let tilde = |path: &Path| match path.strip_prefix(home) {
        Ok(rest) if !home.as_os_str().is_empty() => format!("~/{}", rest.display()),
        _ => path.display().to_string(),
    };
    let mut rows: Vec<[String; 3]> = Vec::new();
    let mut row = |key: &str, value: String, source: &str| {
        rows.push([format!("ssh.{key}"), value, source.to_string()]);
    };
    let from = |key: &str| sources.get(key);
    let secs = |d: std::time::Duration| format!("{} s", d.as_secs_f64());
    row("hostname", ssh.hostname.clone(), from("hostname"));
    row("port", ssh.port.to_string(), from("port"));
    row("username", ssh.username.clone(), from("username"));
    if let Some(key) = &ssh.private_key {
        row("private_key", tilde(key), from("private_key"));
    }
    if !ssh.identity_files.is_empty() {
        let files: Vec<String> = ssh.identity_files.iter().map(|f| tilde(f)).collect();
        let source = match sources.by_key.get("identity_files") {
            Some(place) => place.as_str(),
            None => "OpenSSH's default identities",
        };
        row("identity_files", files.join(", "), source);
    }
    if ssh.identities_only {
        row("identities_only", "yes".into(), from("identities_only"));
    }
    row("use_agent", ssh.use_agent.to_string(), from("use_agent"));
    row(
        "known_hosts",
        policy_name(ssh.known_hosts).into(),
        from("known_hosts"),
    );
    row(
        "known_hosts_file",
        tilde(&ssh.known_hosts_file),
        from("known_hosts_file"),
    );
    if !ssh.jump.is_empty() {
        let hops: Vec<String> = ssh.jump.iter().map(super::jump::label).collect();
        row("jump", hops.join(" -> "), from("jump"));
    }
    if let Some(alias) = &ssh.host_key_alias {
        row("host_key_alias", alias.clone(), from("host_key_alias"));
    }
    row(
        "connect_timeout",
        secs(ssh.timeouts.connect),
        from("connect_timeout"),
    );
    let keepalive = ssh.keepalive.map_or("off".to_string(), |d| {
        format!("{} (at most {} unanswered)", secs(d), ssh.keepalive_max)
    });
    row("keepalive", keepalive, from("keepalive"));
    if let Some(written) = &sources.algorithms {
        row("algorithms", written.clone(), from("algorithms"));
    } else if ssh.legacy_algorithms {
        row(
            "algorithms",
            "modern, then legacy (legacy_algorithms)".into(),
            from("algorithms"),
        );
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssh::plugin::tests::plugin;

    #[test]
    fn ssh_config_fills_only_what_the_inventory_leaves_unset() {
        let dir = std::env::temp_dir().join(format!("netrun-sshcfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("config");
        std::fs::write(
            &file,
            "Host r1\n  HostName 10.0.0.1\n  Port 2222\n  User cfg\n  StrictHostKeyChecking no\n  IdentitiesOnly yes\n",
        )
        .expect("write");
        let local = crate::ssh::ssh_config::Local {
            home: dir.clone(),
            user: "me".into(),
            env: Default::default(),
        };
        let config = SshConfig::load_with(&file, local).expect("config");
        let plugin = plugin().with_ssh_config(config);
        let mut target = Target {
            host: "r1".into(),
            hostname: "r1".into(),
            hostname_set: false,
            port: None,
            username: None,
            password: None,
            platform: Some("ios".into()),
            extras: Default::default(),
            data_secrets: Vec::new(),
        };
        let ssh = plugin.prepare(&target).expect("prepared");
        assert_eq!((ssh.hostname.as_str(), ssh.port), ("10.0.0.1", 2222));
        assert_eq!(ssh.username, "cfg");
        assert_eq!(ssh.known_hosts, KnownHostsPolicy::Off);
        assert!(ssh.identities_only && !ssh.use_agent);

        // Inventory values win, extras included.
        target.port = Some(22);
        target.username = Some("inv".into());
        target
            .extras
            .insert("known_hosts".into(), serde_json::json!("strict"));
        let ssh = plugin.prepare(&target).expect("prepared");
        assert_eq!((ssh.port, ssh.username.as_str()), (22, "inv"));
        assert_eq!(ssh.known_hosts, KnownHostsPolicy::Strict);

        // `ssh_config: false` on a host leaves the config out.
        target.extras.insert("ssh_config".into(), false.into());
        let ssh = plugin.prepare(&target).expect("prepared");
        assert_eq!(ssh.hostname, "r1");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
