//! Unit tests (device state machine, byte for byte) and integration tests (a russh client
//! against a running lab on 127.0.0.1).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::catalog::{self, Catalog};
use super::device::{Device, DeviceShared, ExecOutput, Step};
use super::dialect::{Action, Mode};
use super::*;

fn spec(name: &str, platform: &str, secret: Option<&str>) -> DeviceSpec {
    DeviceSpec {
        name: name.to_string(),
        platform: platform.to_string(),
        username: "admin".to_string(),
        password: "pw".to_string(),
        enable_secret: secret.map(str::to_string),
        vars: serde_json::Map::new(),
        faults: Faults::default(),
    }
}

/// The dialects, loaded once for all tests of this module.
fn catalog() -> Arc<Catalog> {
    static CATALOG: std::sync::OnceLock<Arc<Catalog>> = std::sync::OnceLock::new();
    Arc::clone(CATALOG.get_or_init(|| {
        let mut catalog = Catalog::load().expect("embedded data files parse");
        for platform in platforms() {
            catalog
                .derive(platform)
                .expect("derived dialects compile")
                .expect("every built-in platform is simulated");
        }
        Arc::new(catalog)
    }))
}

fn shared(spec: &DeviceSpec) -> Arc<DeviceShared> {
    let catalog = catalog();
    let dialect = catalog.dialect(&spec.platform).expect("known platform");
    Arc::new(DeviceShared::new(spec, dialect, catalog).expect("device renders"))
}

/// A CLI session plus helpers to type into it.
struct Cli {
    device: Device,
    commands: usize,
    closed: bool,
}

impl Cli {
    fn new(spec: &DeviceSpec) -> (Cli, String) {
        Cli::on(shared(spec))
    }

    fn on(shared: Arc<DeviceShared>) -> (Cli, String) {
        let device = Device::new(shared);
        let mut cli = Cli {
            device,
            commands: 0,
            closed: false,
        };
        let steps = cli.device.start();
        let banner = cli.collect(steps);
        (cli, banner)
    }

    fn collect(&mut self, steps: Vec<Step>) -> String {
        let mut out = Vec::new();
        for step in steps {
            match step {
                Step::Output(bytes) => out.extend(bytes),
                Step::Command => self.commands += 1,
                Step::Close => self.closed = true,
            }
        }
        String::from_utf8(out).expect("device output is UTF-8")
    }

    fn feed(&mut self, input: &str) -> String {
        let steps = self.device.feed(input.as_bytes());
        self.collect(steps)
    }

    fn feed_bytewise(&mut self, input: &str) -> String {
        let mut out = String::new();
        for b in input.as_bytes() {
            let steps = self.device.feed(std::slice::from_ref(b));
            out.push_str(&self.collect(steps));
        }
        out
    }
}

#[test]
fn every_dialect_file_is_listed_and_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lab/dialects");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("dialects directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = catalog::files().map(|p| format!("{p}.yaml")).collect();
    listed.sort();
    assert_eq!(
        files, listed,
        "every file under dialects/ is listed, and back"
    );
    let catalog = catalog();
    for platform in catalog::files() {
        let dialect = catalog.dialect(platform).expect("listed platform loads");
        assert_eq!(dialect.name, platform);
        assert!(!dialect.about.is_empty(), "{platform}");
    }
}

#[test]
fn every_data_file_loads_and_every_canned_command_renders() {
    let catalog = catalog();
    for platform in platforms() {
        let s = spec("dev1.lab", platform, None);
        let shared = shared(&s);
        let dialect = catalog.dialect(platform).expect("platform");
        assert!(!dialect.commands.is_empty(), "{platform} has commands");
        let mut rendered = 0;
        for def in &dialect.commands {
            let plain = def.action.is_none_or(|a| a == Action::Noop);
            let exec = def.modes.has(Mode::Privileged) || def.modes.has(Mode::User);
            if !plain || !exec || def.output.is_none() {
                continue;
            }
            let mut command = def.words.join(" ");
            if def.wildcard {
                command.push_str(" 192.0.2.9");
            }
            let mut device = Device::new(Arc::clone(&shared));
            let out = device.exec(&command);
            assert_eq!(out.status, 0, "{platform} {command:?}: {out:?}");
            assert!(
                !out.stdout.contains("template error"),
                "{platform} {command:?}: {out:?}"
            );
            rendered += 1;
        }
        // A version, an interface list, a clock and (where there is one) the configuration.
        assert!(rendered >= 4, "{platform}: only {rendered} canned outputs");
    }
}

#[test]
fn ios_prompt_echo_and_show_version_with_default_vars() {
    let (mut cli, banner) = Cli::new(&spec("edge01.earth", "ios", None));
    assert_eq!(banner, "\r\nedge01#");
    let out = cli.feed("terminal length 0\n");
    assert_eq!(out, "terminal length 0\r\nedge01#");
    let out = cli.feed("show version\n");
    assert!(
        out.starts_with("show version\r\nCisco IOS Software"),
        "{out}"
    );
    assert!(out.contains("Version 15.2(4)M7,"), "{out}");
    assert!(out.contains("edge01 uptime is"), "{out}");
    assert!(
        out.contains("Configuration register is 0x2102\r\n"),
        "{out}"
    );
    assert!(out.ends_with("\r\nedge01#"), "{out}");
    assert!(!out.contains(" --More-- "));
    assert_eq!(cli.commands, 2);
}

#[test]
fn host_vars_override_defaults() {
    let mut s = spec("r1", "ios", None);
    s.vars.insert("os_version".into(), "17.3.4a".into());
    let mut device = Device::new(shared(&s));
    let out = device.exec("show version");
    assert_eq!(out.status, 0);
    assert!(out.stdout.contains("Version 17.3.4a,"), "{out:?}");
}

#[test]
fn crlf_runs_a_command_once_and_chunking_does_not_matter() {
    let (mut whole, _) = Cli::new(&spec("r1", "ios", None));
    let (mut bytewise, _) = Cli::new(&spec("r1", "ios", None));
    let input = "terminal length 0\r\nshow clock\r\n\r\nsh ip int br\r";
    let a = whole.feed(input);
    let b = bytewise.feed_bytewise(input);
    // Clock output differs in time; compare the shape.
    assert_eq!(a.matches("r1#").count(), b.matches("r1#").count());
    assert_eq!(whole.commands, 3, "{a}");
    assert_eq!(bytewise.commands, 3, "{b}");
    // The empty line (second \r\n) printed exactly one extra prompt, no command.
    assert_eq!(a.matches("r1#").count(), 4, "{a}");
    assert!(
        a.contains("GigabitEthernet0/0         10.0.0.1        YES NVRAM  up"),
        "{a}"
    );
}

#[test]
fn backspace_edits_the_line() {
    let (mut cli, _) = Cli::new(&spec("r1", "ios", None));
    let out = cli.feed("show clox\x7fck\n");
    assert!(out.starts_with("show clox\x08 \x08ck\r\n*"), "{out:?}");
    assert!(out.contains(" UTC "), "{out}");
}

#[test]
fn paging_more_space_enter_and_q() {
    let (mut cli, _) = Cli::new(&spec("r1", "ios", None));
    let out = cli.feed("show version\n");
    assert!(out.ends_with(" --More-- "), "{out}");
    assert_eq!(
        out.matches("\r\n").count(),
        1 + 24,
        "echo line + 24 lines: {out}"
    );
    assert!(!out.contains("Configuration register"));
    // Enter shows one more line.
    let out = cli.feed("\r");
    assert_eq!(out.matches("\r\n").count(), 1, "{out:?}");
    assert!(out.ends_with(" --More-- "));
    // Space shows the rest (less than a page here) and the prompt.
    let out = cli.feed(" ");
    assert!(out.contains("Configuration register is 0x2102"), "{out}");
    assert!(out.ends_with("r1#"), "{out}");
    // q aborts.
    let out = cli.feed("show running-config\n");
    assert!(out.ends_with(" --More-- "), "{out}");
    let out = cli.feed("q");
    assert!(out.ends_with("r1#"), "{out:?}");
    assert!(!out.contains("end\r\n"));
    // After terminal length 0 there is no pager at all.
    cli.feed("terminal length 0\n");
    let out = cli.feed("show running-config\n");
    assert!(!out.contains("--More--"));
    assert!(out.contains("\r\nend\r\nr1#"), "{out}");
}

#[test]
fn enable_with_secret_ios_retries_then_bad_secrets() {
    let (mut cli, banner) = Cli::new(&spec("r1.x", "ios", Some("s3cret")));
    assert!(banner.ends_with("r1>"));
    let out = cli.feed("enable\n");
    assert_eq!(out, "enable\r\nPassword: ");
    let out = cli.feed("wrong\n");
    assert_eq!(
        out, "\r\nPassword: ",
        "secret is not echoed; IOS asks again"
    );
    let out = cli.feed("s3cret\r\n");
    assert_eq!(out, "\r\nr1#");
    let out = cli.feed("disable\n");
    assert!(out.ends_with("r1>"));
    cli.feed("enable\n");
    cli.feed("a\n");
    cli.feed("b\n");
    let out = cli.feed("c\n");
    assert_eq!(out, "\r\n% Bad secrets\r\n\r\nr1>");
    // Configuration needs privileges.
    let out = cli.feed("configure terminal\n");
    assert!(out.contains("% Invalid input detected"), "{out}");
}

#[test]
fn enable_eos_wrong_secret_is_access_denied() {
    let (mut cli, _) = Cli::new(&spec("sw1", "eos", Some("s")));
    cli.feed("enable\n");
    let out = cli.feed("nope\n");
    assert_eq!(out, "\r\n% Access denied\r\nsw1>");
}

#[test]
fn config_mode_is_stored_and_shown_and_persists_per_device() {
    let s = spec("r1", "ios", None);
    let dev = shared(&s);
    let (mut cli, _) = Cli::on(Arc::clone(&dev));
    let out = cli.feed("conf t\n");
    assert!(out.contains("Enter configuration commands"), "{out}");
    assert!(out.ends_with("r1(config)#"), "{out}");
    let out = cli.feed("interface Loopback9\n");
    assert!(out.ends_with("r1(config-if)#"), "{out}");
    cli.feed(" description lab test\n ip address 10.9.9.9 255.255.255.255\nexit\n");
    let out = cli.feed("ip route 10.0.0.0 255.0.0.0 Null0\n");
    assert!(out.ends_with("r1(config)#"), "{out}");
    cli.feed("int GigabitEthernet0/0\n description changed\n");
    let out = cli.feed("end\n");
    assert!(out.ends_with("r1#"), "{out}");
    cli.feed("terminal length 0\n");
    let run = cli.feed("show running-config\n");
    assert!(
        run.contains("interface Loopback9\r\n description lab test\r\n ip address 10.9.9.9 255.255.255.255\r\n"),
        "{run}"
    );
    assert!(
        run.contains("ip route 10.0.0.0 255.0.0.0 Null0\r\n"),
        "{run}"
    );
    assert!(
        run.contains("interface GigabitEthernet0/0\r\n description changed\r\n"),
        "{run}"
    );
    assert!(!run.contains("description uplink"), "replaced: {run}");
    // A new session (another connection) sees the same running configuration.
    let (mut other, _) = Cli::on(Arc::clone(&dev));
    let out = other.feed("show run | include description\n");
    assert!(out.contains(" description lab test\r\n"), "{out}");
    assert!(!out.contains("ip route"), "{out}");
    // `hostname` changes the prompt.
    let out = other.feed("configure terminal\nhostname core9\nend\n");
    assert!(out.ends_with("core9#"), "{out}");
}

#[test]
fn config_do_and_ctrl_z() {
    let (mut cli, _) = Cli::new(&spec("r1", "ios", None));
    cli.feed("configure terminal\n");
    let out = cli.feed("do show clock\n");
    assert!(out.contains(" UTC "), "{out}");
    assert!(out.ends_with("r1(config)#"), "{out}");
    let out = cli.feed("\x1a");
    assert_eq!(out, "^Z\r\nr1#");
}

#[test]
fn ios_invalid_and_incomplete_commands() {
    let (mut cli, _) = Cli::new(&spec("r1", "ios", None));
    let out = cli.feed("foo bar\n");
    assert_eq!(
        out,
        "foo bar\r\n   ^\r\n% Invalid input detected at '^' marker.\r\n\r\nr1#"
    );
    let out = cli.feed("show foo\n");
    assert_eq!(
        out,
        "show foo\r\n        ^\r\n% Invalid input detected at '^' marker.\r\n\r\nr1#"
    );
    let out = cli.feed("show\n");
    assert_eq!(out, "show\r\n% Incomplete command.\r\n\r\nr1#");
    let out = cli.feed("show version | frobnicate x\n");
    assert!(out.contains("% Invalid input detected"), "{out}");
}

#[test]
fn nxos_eos_iosxr_errors_and_prompts() {
    let (mut nx, banner) = Cli::new(&spec("leaf1", "nxos", None));
    assert!(banner.ends_with("leaf1#"));
    let out = nx.feed("bogus\n");
    assert_eq!(
        out,
        "bogus\r\n      ^\r\n% Invalid command at '^' marker.\r\nleaf1#"
    );
    let (mut eos, _) = Cli::new(&spec("sw1", "eos", None));
    let out = eos.feed("bogus\n");
    assert_eq!(out, "bogus\r\n% Invalid input\r\nsw1#");
    let (mut xr, banner) = Cli::new(&spec("pe1", "iosxr", None));
    assert!(banner.ends_with("RP/0/RP0/CPU0:pe1#"), "{banner}");
    let out = xr.feed("configure\n");
    assert!(out.ends_with("RP/0/RP0/CPU0:pe1(config)#"), "{out}");
    let out = xr.feed("interface Loopback1\n");
    assert!(out.ends_with("RP/0/RP0/CPU0:pe1(config-if)#"), "{out}");
    let out = xr.feed("commit\nend\nshow version\n");
    assert!(
        out.contains("Cisco IOS XR Software, Version 7.3.2"),
        "{out}"
    );
}

#[test]
fn junos_operational_configuration_and_errors() {
    let (mut cli, banner) = Cli::new(&spec("core1.lab", "junos", None));
    assert!(banner.ends_with("admin@core1> "), "{banner}");
    for setup in [
        "set cli screen-length 0\n",
        "set cli screen-width 511\n",
        "set cli complete-on-space off\n",
    ] {
        let out = cli.feed(setup);
        assert!(out.ends_with("\r\nadmin@core1> "), "{out}");
    }
    let out = cli.feed("show version\n");
    assert!(out.contains("Junos: 21.4R3.15\r\n"), "{out}");
    let out = cli.feed("show interfaces terse\n");
    assert!(out.contains("ge-0/0/0.0"), "{out}");
    let out = cli.feed("foo\n");
    // The caret sits under the offending word, after the 13-column prompt.
    assert_eq!(
        out,
        format!(
            "foo\r\n{}^\r\nunknown command.\r\nadmin@core1> ",
            " ".repeat(13)
        )
    );
    let out = cli.feed("show bogus\n");
    let caret = format!("\r\n{}^\r\nsyntax error", " ".repeat(13 + 5));
    assert!(out.contains(&caret), "{out}");
    let out = cli.feed("configure\n");
    assert!(
        out.ends_with("Entering configuration mode\r\n\r\n[edit]\r\nadmin@core1# "),
        "{out}"
    );
    cli.feed("set system host-name core2\n");
    let out = cli.feed("set snmp community public authorization read-only\n");
    assert!(out.ends_with("\r\n[edit]\r\nadmin@core1# "), "{out}");
    let out = cli.feed("commit\n");
    assert!(out.contains("commit complete\r\n"), "{out}");
    assert!(out.ends_with("admin@core2# "), "{out}");
    let out = cli.feed("exit configuration-mode\n");
    assert!(out.ends_with("admin@core2> "), "{out}");
    let out = cli.feed("show configuration | display set\n");
    assert!(
        out.contains("set snmp community public authorization read-only\r\n"),
        "{out}"
    );
    let out = cli.feed("show configuration\n");
    assert!(out.contains("    host-name core2;\r\n"), "{out}");
    assert!(!out.contains("core1"), "host-name replaced: {out}");
    assert!(
        out.contains("    ge-0/0/2 {\r\n        disable;\r\n"),
        "{out}"
    );
    assert!(out.contains("unit 0 {"), "{out}");
}

#[test]
fn junos_paging_marker() {
    let (mut cli, _) = Cli::new(&spec("core1", "junos", None));
    let out = cli.feed("show configuration\n");
    assert!(out.ends_with("---(more)---"), "{out}");
    let out = cli.feed("q");
    assert!(out.ends_with("admin@core1> "), "{out}");
}

#[test]
fn linux_shell() {
    let (mut cli, banner) = Cli::new(&spec("web1.example", "linux", None));
    assert!(banner.ends_with("admin@web1:~$ "), "{banner}");
    let out = cli.feed("uname -a\n");
    assert!(out.contains("Linux web1 5.15.0-91-generic"), "{out}");
    let out = cli.feed("echo hello world\n");
    assert_eq!(out, "echo hello world\r\nhello world\r\nadmin@web1:~$ ");
    let out = cli.feed("frob --x\n");
    assert_eq!(
        out,
        "frob --x\r\nbash: frob: command not found\r\nadmin@web1:~$ "
    );
    let out = cli.feed("exit\n");
    assert_eq!(out, "exit\r\n");
    assert!(cli.closed);
}

#[test]
fn exec_status_and_line_endings() {
    let s = spec("r1", "ios", None);
    let dev = shared(&s);
    let out = Device::new(Arc::clone(&dev)).exec("show ip interface brief");
    assert_eq!(out.status, 0);
    assert!(out.stdout.starts_with("Interface"), "{out:?}");
    assert!(out.stdout.ends_with("\r\n"));
    let out = Device::new(Arc::clone(&dev)).exec("nonsense");
    assert_eq!(out.status, 1);
    assert!(out.stdout.contains("% Invalid input detected"), "{out:?}");
    let linux = shared(&spec("h", "linux", None));
    let out = Device::new(Arc::clone(&linux)).exec("hostname");
    assert_eq!((out.stdout.as_str(), out.status), ("h\n", 0));
    // Like bash: nothing on stdout, the complaint on stderr, status 127.
    let out = Device::new(linux).exec("nope");
    assert_eq!(
        out,
        ExecOutput {
            stdout: String::new(),
            stderr: "bash: nope: command not found\n".into(),
            status: 127,
        }
    );
}

#[test]
fn exit_closes_the_session() {
    let (mut cli, _) = Cli::new(&spec("r1", "ios", None));
    let out = cli.feed("exit\nshow version\n");
    assert_eq!(out, "exit\r\n");
    assert!(cli.closed);
    assert_eq!(cli.commands, 1);
}

// ---------------------------------------------------------------------------------------------
// Integration: a russh client against a real lab on loopback.

mod client {
    use super::*;
    use russh::client;
    use russh::keys::PublicKeyOrCertificate;
    use std::sync::Mutex;

    /// Accepts any host key but remembers it.
    #[derive(Clone, Default)]
    pub(super) struct Recorder {
        pub(super) key: Arc<Mutex<Option<String>>>,
    }

    impl client::Handler for Recorder {
        type Error = russh::Error;

        async fn check_server_key(
            &mut self,
            key: &PublicKeyOrCertificate,
        ) -> Result<bool, Self::Error> {
            if let PublicKeyOrCertificate::PublicKey { key, .. } = key
                && let Ok(mut slot) = self.key.lock()
            {
                *slot = key.to_openssh().ok();
            }
            Ok(true)
        }
    }

    pub(super) async fn connect(addr: SocketAddr) -> client::Handle<Recorder> {
        connect_with(addr, Recorder::default()).await
    }

    pub(super) async fn connect_with(
        addr: SocketAddr,
        recorder: Recorder,
    ) -> client::Handle<Recorder> {
        let config = Arc::new(client::Config::default());
        tokio::time::timeout(
            Duration::from_secs(10),
            client::connect(config, addr, recorder),
        )
        .await
        .expect("connect in time")
        .expect("connect")
    }

    pub(super) async fn login(addr: SocketAddr) -> client::Handle<Recorder> {
        let mut handle = connect(addr).await;
        let auth = handle
            .authenticate_password("admin", "pw")
            .await
            .expect("auth round trip");
        assert!(auth.success());
        handle
    }

    /// A pty + shell channel with a buffer of what it printed.
    pub(super) struct Shell {
        pub(super) channel: russh::Channel<client::Msg>,
        pub(super) buf: String,
    }

    impl Shell {
        pub(super) async fn open(handle: &client::Handle<Recorder>) -> Shell {
            let channel = handle
                .channel_open_session()
                .await
                .expect("session channel");
            channel
                .request_pty(true, "vt100", 200, 24, 0, 0, &[])
                .await
                .expect("pty");
            channel.request_shell(true).await.expect("shell");
            Shell {
                channel,
                buf: String::new(),
            }
        }

        /// Reads until `pattern` is in the buffer; returns everything up to and including it.
        pub(super) async fn read_until(&mut self, pattern: &str) -> String {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Some(at) = self.buf.find(pattern) {
                    let rest = self.buf.split_off(at + pattern.len());
                    return std::mem::replace(&mut self.buf, rest);
                }
                let left = deadline.saturating_duration_since(Instant::now());
                match tokio::time::timeout(left, self.channel.wait()).await {
                    Ok(Some(russh::ChannelMsg::Data { data })) => {
                        self.buf.push_str(&String::from_utf8_lossy(&data));
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        panic!("channel closed waiting for {pattern:?}; got {:?}", self.buf)
                    }
                    Err(_) => panic!("timeout waiting for {pattern:?}; got {:?}", self.buf),
                }
            }
        }

        pub(super) async fn send(&self, text: &str) {
            self.channel
                .data_bytes(text.as_bytes().to_vec())
                .await
                .expect("send");
        }

        pub(super) async fn cmd(&mut self, command: &str, prompt: &str) -> String {
            self.send(&format!("{command}\n")).await;
            self.read_until(prompt).await
        }
    }

    /// Runs one exec command: (stdout, exit status, saw eof).
    pub(super) async fn exec(
        handle: &client::Handle<Recorder>,
        command: &str,
    ) -> (String, Option<u32>, bool) {
        let mut channel = handle
            .channel_open_session()
            .await
            .expect("session channel");
        channel.exec(true, command).await.expect("exec");
        let mut out = String::new();
        let mut status = None;
        let mut eof = false;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), channel.wait()).await {
                Ok(Some(russh::ChannelMsg::Data { data })) => {
                    out.push_str(&String::from_utf8_lossy(&data))
                }
                Ok(Some(russh::ChannelMsg::ExitStatus { exit_status })) => {
                    status = Some(exit_status)
                }
                Ok(Some(russh::ChannelMsg::Eof)) => eof = true,
                Ok(Some(russh::ChannelMsg::Close)) | Ok(None) => break,
                Ok(Some(_)) => {}
                Err(_) => panic!("exec {command:?} timed out; got {out:?}"),
            }
        }
        (out, status, eof)
    }
}

use client::{Recorder, Shell, connect, connect_with, exec, login};

async fn lab(specs: Vec<DeviceSpec>) -> Lab {
    Lab::start(specs, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("lab starts")
}

fn addr(lab: &Lab, i: usize) -> SocketAddr {
    lab.endpoints()[i].1
}

/// Counters are updated by server tasks; give them a moment to settle.
async fn eventually(
    lab: &Lab,
    name: &str,
    check: impl Fn(&DeviceCounters) -> bool,
) -> DeviceCounters {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let snapshot = lab.counters().devices[name];
        if check(&snapshot) {
            return snapshot;
        }
        assert!(
            Instant::now() < deadline,
            "counters never settled: {snapshot:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn refuses_non_loopback_and_bad_specs() {
    for listen in ["0.0.0.0:0", "10.1.2.3:0", "[::]:0"] {
        let err = Lab::start(vec![spec("r1", "ios", None)], listen.parse().expect("addr"))
            .await
            .expect_err("must refuse");
        assert!(matches!(err, LabError::NotLoopback(_)), "{err}");
    }
    let err = Lab::start(
        vec![spec("r1", "ios", None), spec("r1", "eos", None)],
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect_err("duplicate");
    assert!(matches!(err, LabError::DuplicateDevice(_)), "{err}");
    let err = Lab::start(
        vec![spec("r1", "vax", None)],
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect_err("platform");
    assert!(matches!(err, LabError::UnknownPlatform { .. }), "{err}");
    let err = Lab::start(
        vec![spec("a", "ios", None), spec("b", "ios", None)],
        "127.0.0.1:65535".parse().expect("addr"),
    )
    .await
    .expect_err("port range");
    assert!(matches!(err, LabError::PortRange { .. }), "{err}");
}

#[tokio::test]
async fn password_and_keyboard_interactive_auth_and_fixed_host_key() {
    let lab1 = lab(vec![spec("r1", "ios", None), spec("r2", "nxos", None)]).await;
    let endpoints = lab1.endpoints();
    assert_eq!(endpoints.len(), 2);
    assert_eq!(endpoints[0].0, "r1");
    assert_ne!(endpoints[0].1.port(), endpoints[1].1.port());

    let first = Recorder::default();
    let mut handle = connect_with(addr(&lab1, 0), first.clone()).await;
    let bad = handle
        .authenticate_password("admin", "wrong")
        .await
        .expect("auth round trip");
    assert!(!bad.success());
    let bad_user = handle
        .authenticate_password("root", "pw")
        .await
        .expect("auth round trip");
    assert!(!bad_user.success());
    assert!(
        handle
            .authenticate_password("admin", "pw")
            .await
            .expect("auth")
            .success()
    );
    drop(handle);

    // keyboard-interactive: one "Password: " prompt with echo off.
    let mut handle = connect(addr(&lab1, 1)).await;
    let reply = handle
        .authenticate_keyboard_interactive_start("admin", None)
        .await
        .expect("kbd start");
    let russh::client::KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } = reply else {
        panic!("expected an info request, got {reply:?}");
    };
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].prompt, "Password: ");
    assert!(!prompts[0].echo);
    let reply = handle
        .authenticate_keyboard_interactive_respond(vec!["pw".into()])
        .await
        .expect("kbd respond");
    assert!(
        matches!(
            reply,
            russh::client::KeyboardInteractiveAuthResponse::Success
        ),
        "{reply:?}"
    );

    let c = eventually(&lab1, "r1", |c| c.auth_successes == 1).await;
    assert_eq!(c.auth_failures, 2);
    let c2 = eventually(&lab1, "r2", |c| c.auth_successes == 1).await;
    assert_eq!(c2.auth_failures, 0);

    // Same host key from a second lab: known_hosts entries never change.
    let lab2 = lab(vec![spec("r1", "ios", None)]).await;
    let second = Recorder::default();
    let _h = connect_with(addr(&lab2, 0), second.clone()).await;
    let k1 = first.key.lock().expect("lock").clone().expect("key seen");
    let k2 = second.key.lock().expect("lock").clone().expect("key seen");
    assert!(k1.starts_with("ssh-ed25519 "), "{k1}");
    assert_eq!(k1, k2);
    lab2.shutdown().await;
    lab1.shutdown().await;
}

#[tokio::test]
async fn interactive_shell_paging_enable_config_and_errors() {
    let lab = lab(vec![spec("edge01.earth", "ios", Some("en"))]).await;
    let handle = login(addr(&lab, 0)).await;
    let mut sh = Shell::open(&handle).await;
    sh.read_until("edge01>").await;

    // Paging is on by default.
    sh.send("show version\n").await;
    let page = sh.read_until(" --More-- ").await;
    assert!(page.contains("Version 15.2(4)M7"), "{page}");
    sh.send(" ").await;
    let rest = sh.read_until("edge01>").await;
    assert!(rest.contains("Configuration register"), "{rest}");

    let out = sh.cmd("terminal length 0", "edge01>").await;
    assert!(!out.contains('%'), "{out}");
    sh.cmd("terminal width 511", "edge01>").await;
    let out = sh.cmd("show version", "edge01>").await;
    assert!(!out.contains("--More--"), "{out}");

    sh.send("enable\n").await;
    sh.read_until("Password: ").await;
    sh.send("en\n").await;
    sh.read_until("edge01#").await;

    sh.cmd("configure terminal", "edge01(config)#").await;
    sh.cmd("interface Loopback7", "edge01(config-if)#").await;
    sh.cmd(" description via ssh", "edge01(config-if)#").await;
    sh.cmd("end", "edge01#").await;
    let run = sh.cmd("show running-config", "\r\nend\r\nedge01#").await;
    assert!(
        run.contains("interface Loopback7\r\n description via ssh\r\n"),
        "{run}"
    );

    let out = sh.cmd("show bogus", "edge01#").await;
    assert!(
        out.contains("% Invalid input detected at '^' marker."),
        "{out}"
    );

    sh.send("exit\n").await;
    let mut closed = false;
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), sh.channel.wait()).await
    {
        if matches!(msg, russh::ChannelMsg::Close) {
            closed = true;
            break;
        }
    }
    assert!(closed, "exit closes the channel");
    drop(sh);
    drop(handle);

    let c = eventually(&lab, "edge01.earth", |c| c.open_connections == 0).await;
    assert_eq!(c.tcp_connections, 1);
    assert_eq!(c.channels, 1);
    // show version x2 (one paged), terminal x2, enable, conf t, interface, description, end,
    // show run, show bogus, exit.
    assert_eq!(c.commands, 12, "{c:?}");
    lab.shutdown().await;
}

#[tokio::test]
async fn exec_channel_runs_one_command() {
    let lab = lab(vec![spec("r1", "ios", None), spec("h1", "linux", None)]).await;
    let handle = login(addr(&lab, 0)).await;
    let (out, status, eof) = exec(&handle, "show version").await;
    assert!(out.contains("Version 15.2(4)M7"), "{out}");
    assert!(!out.contains("--More--"));
    assert_eq!(status, Some(0));
    assert!(eof);
    let (out, status, _) = exec(&handle, "show nonsense").await;
    assert!(out.contains("% Invalid input"), "{out}");
    assert_eq!(status, Some(1));

    let linux = login(addr(&lab, 1)).await;
    let (out, status, _) = exec(&linux, "echo hi there").await;
    assert_eq!((out.as_str(), status), ("hi there\n", Some(0)));
    let c = eventually(&lab, "r1", |c| c.commands == 2).await;
    assert_eq!(c.channels, 2);
    lab.shutdown().await;
}

#[tokio::test]
async fn fault_reject_auth() {
    let mut s = spec("r1", "ios", None);
    s.faults.reject_auth = true;
    let lab = lab(vec![s]).await;
    let mut handle = connect(addr(&lab, 0)).await;
    let auth = handle
        .authenticate_password("admin", "pw")
        .await
        .expect("auth round trip");
    assert!(!auth.success());
    let reply = handle
        .authenticate_keyboard_interactive_start("admin", None)
        .await
        .expect("kbd");
    if let russh::client::KeyboardInteractiveAuthResponse::InfoRequest { .. } = reply {
        let reply = handle
            .authenticate_keyboard_interactive_respond(vec!["pw".into()])
            .await
            .expect("kbd respond");
        assert!(
            matches!(
                reply,
                russh::client::KeyboardInteractiveAuthResponse::Failure { .. }
            ),
            "{reply:?}"
        );
    }
    drop(handle);
    let c = eventually(&lab, "r1", |c| c.open_connections == 0).await;
    assert_eq!((c.auth_successes, c.auth_failures), (0, 2));
    lab.shutdown().await;
}

#[tokio::test]
async fn fault_drop_after_commands_cuts_tcp_mid_command() {
    let mut s = spec("r1", "ios", None);
    s.faults.drop_after_commands = Some(2);
    let lab = lab(vec![s]).await;
    let handle = login(addr(&lab, 0)).await;
    let mut sh = Shell::open(&handle).await;
    sh.read_until("r1#").await;
    sh.cmd("terminal length 0", "r1#").await;
    sh.cmd("show clock", "r1#").await;
    sh.send("show version\n").await;
    // The echo may or may not arrive; then the channel and connection end without an answer.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut tail = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, sh.channel.wait()).await {
            Ok(Some(russh::ChannelMsg::Data { data })) => {
                tail.push_str(&String::from_utf8_lossy(&data))
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => panic!("connection not dropped; got {tail:?}"),
        }
    }
    assert!(!tail.contains("Cisco IOS Software"), "{tail}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !handle.is_closed() {
        assert!(Instant::now() < deadline, "client still connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let c = eventually(&lab, "r1", |c| c.open_connections == 0).await;
    assert_eq!(c.commands, 2);
    // A new connection gets a fresh allowance.
    let again = login(addr(&lab, 0)).await;
    let (out, status, _) = exec(&again, "show clock").await;
    assert_eq!(status, Some(0), "{out}");
    lab.shutdown().await;
}

#[tokio::test]
async fn fault_never_answer_stays_silent() {
    let mut s = spec("r1", "ios", None);
    s.faults.never_answer = true;
    let lab = lab(vec![s]).await;
    let handle = login(addr(&lab, 0)).await;
    let mut sh = Shell::open(&handle).await;
    sh.send("show version\n").await;
    let got = tokio::time::timeout(Duration::from_millis(400), async {
        loop {
            match sh.channel.wait().await {
                Some(russh::ChannelMsg::Data { data }) => return Some(data),
                Some(_) => {}
                None => return None,
            }
        }
    })
    .await;
    assert!(got.is_err(), "expected silence, got {got:?}");

    let mut channel = handle.channel_open_session().await.expect("channel");
    channel.exec(true, "show clock").await.expect("exec");
    let got = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            match channel.wait().await {
                Some(russh::ChannelMsg::Data { .. } | russh::ChannelMsg::ExitStatus { .. }) => {
                    return true;
                }
                Some(_) => {}
                None => return false,
            }
        }
    })
    .await;
    assert!(got.is_err(), "exec must not answer either");
    let c = eventually(&lab, "r1", |c| c.channels == 2).await;
    assert_eq!(c.open_connections, 1);
    assert_eq!(c.auth_successes, 1);
    // Shutdown still completes and closes the connection.
    tokio::time::timeout(Duration::from_secs(10), lab.shutdown())
        .await
        .expect("shutdown completes");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !handle.is_closed() {
        assert!(
            Instant::now() < deadline,
            "client still connected after shutdown"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn fault_latency_delays_each_answer() {
    let mut s = spec("r1", "ios", None);
    s.faults.latency = Duration::from_millis(300);
    let lab = lab(vec![s]).await;
    let handle = login(addr(&lab, 0)).await;
    let mut sh = Shell::open(&handle).await;
    sh.read_until("r1#").await;
    let started = Instant::now();
    sh.cmd("terminal length 0", "r1#").await;
    sh.cmd("show clock", "r1#").await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    // Empty lines are not commands and are not delayed.
    let started = Instant::now();
    sh.cmd("", "r1#").await;
    assert!(started.elapsed() < Duration::from_millis(250));
    let started = Instant::now();
    let (_, status, _) = exec(&handle, "show clock").await;
    assert_eq!(status, Some(0));
    assert!(started.elapsed() >= Duration::from_millis(300));
    lab.shutdown().await;
}

#[tokio::test]
async fn counters_serialize_and_connections_close() {
    let lab = lab(vec![spec("a", "eos", None), spec("b", "junos", None)]).await;
    let mut handles = Vec::new();
    for _ in 0..3 {
        handles.push(login(addr(&lab, 0)).await);
    }
    let c = eventually(&lab, "a", |c| c.auth_successes == 3).await;
    assert_eq!(c.open_connections, 3);
    let json = serde_json::to_value(lab.counters()).expect("serialize");
    assert_eq!(json["devices"]["a"]["tcp_connections"], 3);
    assert_eq!(json["totals"]["open_connections"], 3);
    assert_eq!(json["devices"]["b"]["tcp_connections"], 0);
    for handle in handles {
        handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await
            .expect("disconnect");
    }
    eventually(&lab, "a", |c| c.open_connections == 0).await;
    assert_eq!(lab.counters().totals().open_connections, 0);
    lab.shutdown().await;
}

#[tokio::test]
async fn shutdown_disconnects_clients() {
    let lab = lab(vec![spec("r1", "linux", None)]).await;
    let handle = login(addr(&lab, 0)).await;
    let mut sh = Shell::open(&handle).await;
    sh.read_until("admin@r1:~$ ").await;
    let a = addr(&lab, 0);
    tokio::time::timeout(Duration::from_secs(10), lab.shutdown())
        .await
        .expect("shutdown completes");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !handle.is_closed() {
        assert!(
            Instant::now() < deadline,
            "client still connected after shutdown"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        tokio::net::TcpStream::connect(a).await.is_err(),
        "listener closed"
    );
}

#[test]
fn eos_and_junos_confirm_terminal_settings_like_netmiko_expects() {
    let (mut eos, _) = Cli::new(&spec("sw1", "eos", None));
    assert_eq!(
        eos.feed("terminal length 0\n"),
        "terminal length 0\r\nPagination disabled.\r\nsw1#"
    );
    assert_eq!(
        eos.feed("terminal width 511\n"),
        "terminal width 511\r\nWidth set to 511 columns.\r\nsw1#"
    );
    let (mut junos, _) = Cli::new(&spec("mx1", "junos", None));
    assert!(
        junos
            .feed("set cli screen-width 511\n")
            .contains("Screen width set to 511\r\n")
    );
    assert!(
        junos
            .feed("set cli screen-length 0\n")
            .contains("Screen length set to 0\r\n")
    );
    assert!(
        junos
            .feed("set cli complete-on-space off\n")
            .contains("Disabling complete-on-space\r\n")
    );
}
