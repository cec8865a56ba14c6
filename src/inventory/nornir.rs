//! How nornir's connection plugins (netmiko, scrapli, napalm, ...) map onto netrun's `ssh`
//! connection options, so a nornir inventory's credentials and timeouts are used as written.

/// nornir's SSH connection plugins, read for `ssh` after its own options, in this order.
pub const NORNIR_SSH_PLUGINS: [&str; 5] = ["ssh", "netmiko", "scrapli", "napalm", "paramiko"];

/// Settings of nornir's plugins that become `connection_options.ssh.extras` keys when ssh does
/// not set them: (ssh extras key, plugin, path in that plugin's extras, name for `--explain`).
pub const NORNIR_EXTRAS: [(&str, &str, &[&str], &str); 13] = [
    ("secret", "netmiko", &["secret"], "netmiko.extras.secret"),
    (
        "secret",
        "scrapli",
        &["auth_secondary"],
        "scrapli.extras.auth_secondary",
    ),
    (
        "secret",
        "napalm",
        &["optional_args", "secret"],
        "napalm.extras.optional_args.secret",
    ),
    (
        "private_key",
        "netmiko",
        &["key_file"],
        "netmiko.extras.key_file",
    ),
    (
        "private_key",
        "scrapli",
        &["auth_private_key"],
        "scrapli.extras.auth_private_key",
    ),
    (
        "private_key",
        "napalm",
        &["optional_args", "key_file"],
        "napalm.extras.optional_args.key_file",
    ),
    (
        "passphrase",
        "netmiko",
        &["passphrase"],
        "netmiko.extras.passphrase",
    ),
    (
        "passphrase",
        "scrapli",
        &["auth_private_key_passphrase"],
        "scrapli.extras.auth_private_key_passphrase",
    ),
    (
        "connect_timeout",
        "netmiko",
        &["conn_timeout"],
        "netmiko.extras.conn_timeout",
    ),
    (
        "connect_timeout",
        "scrapli",
        &["timeout_socket"],
        "scrapli.extras.timeout_socket",
    ),
    (
        "auth_timeout",
        "netmiko",
        &["auth_timeout"],
        "netmiko.extras.auth_timeout",
    ),
    (
        "command_timeout",
        "scrapli",
        &["timeout_ops"],
        "scrapli.extras.timeout_ops",
    ),
    (
        "command_timeout",
        "napalm",
        &["timeout"],
        "napalm.extras.timeout",
    ),
];
