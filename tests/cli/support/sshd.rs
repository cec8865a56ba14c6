//! Test helper: a real OpenSSH sshd on 127.0.0.1 with generated keys and a test user.
//!
//! Needs `/usr/sbin/sshd` (or `$NETRUN_SSHD`) and `ssh-keygen`, and must run as root (sshd
//! switches to the test user). Missing pieces make the tests FAIL with instructions; they
//! never skip. Install: `apt-get update && apt-get install -y openssh-server`.

// Shared by two test binaries (tests/cli and tests/ssh), each using part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Login used for the tests (created if missing).
pub const USER: &str = "netrun-test";
/// Its password.
pub const PASSWORD: &str = "Netrun-test-pw1";
/// Passphrase of the encrypted client key.
pub const KEY_PASSPHRASE: &str = "key phrase 42";

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static USER_READY: OnceLock<Result<(), String>> = OnceLock::new();

/// How the sshd instance authenticates.
#[derive(Debug, Clone, Copy)]
pub struct SshdOptions {
    /// `PasswordAuthentication yes`.
    pub password: bool,
    /// `KbdInteractiveAuthentication yes` (through PAM).
    pub kbdint: bool,
    /// Run the fake IOS CLI instead of the user's shell.
    pub fake_ios: bool,
    /// More sshd_config lines (e.g. restricting algorithms like an old device).
    pub extra_config: &'static str,
}

impl Default for SshdOptions {
    fn default() -> Self {
        SshdOptions {
            password: true,
            kbdint: false,
            fake_ios: false,
            extra_config: "",
        }
    }
}

/// A running sshd; killed (by its own pid) on drop.
pub struct Sshd {
    child: Child,
    /// Listening port on 127.0.0.1.
    pub port: u16,
    /// Scratch directory with keys, config and log.
    pub dir: PathBuf,
    /// Unencrypted client private key (authorized).
    pub key: PathBuf,
    /// Passphrase-protected client private key (authorized).
    pub enc_key: PathBuf,
    /// Public half of the server host key (OpenSSH format line).
    pub host_pub: String,
}

fn sshd_path() -> PathBuf {
    let p = std::env::var_os("NETRUN_SSHD")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/sshd"));
    assert!(
        p.exists(),
        "OpenSSH server not found at {} — the SSH integration tests need a real sshd. \
         Install it with `apt-get update && apt-get install -y openssh-server` \
         (or point NETRUN_SSHD at an sshd binary).",
        p.display()
    );
    p
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn ensure_user() {
    let r = USER_READY.get_or_init(|| {
        let uid = run(Command::new("id").arg("-u"))?;
        if uid.trim() != "0" {
            return Err(
                "the sshd integration tests must run as root (sshd has to switch to the test user)"
                    .into(),
            );
        }
        if run(Command::new("id").arg(USER)).is_err() {
            run(Command::new("useradd").args(["-m", "-s", "/bin/bash", USER]))?;
        }
        let mut child = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| format!("chpasswd: {e}"))?;
        {
            use std::io::Write;
            let stdin = child.stdin.as_mut().ok_or("chpasswd stdin")?;
            writeln!(stdin, "{USER}:{PASSWORD}").map_err(|e| e.to_string())?;
        }
        let st = child.wait().map_err(|e| e.to_string())?;
        if !st.success() {
            return Err("chpasswd failed".into());
        }
        // sshd's privilege separation directory.
        std::fs::create_dir_all("/run/sshd").map_err(|e| e.to_string())?;
        Ok(())
    });
    if let Err(e) = r {
        panic!("test user setup failed: {e}");
    }
}

/// Generate an ed25519 key pair at `path` with `passphrase`.
pub fn keygen(path: &Path, passphrase: &str) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path.with_extension("pub"));
    run(Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            passphrase,
            "-C",
            "netrun-test",
            "-f",
        ])
        .arg(path))
    .unwrap_or_else(|e| panic!("ssh-keygen (package openssh-client) failed: {e}"));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free loopback port")
}

impl Sshd {
    /// Start sshd with the given options and wait until it accepts connections.
    pub fn start(opts: SshdOptions) -> Sshd {
        let sshd = sshd_path();
        ensure_user();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("netrun-sshd-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let host_key = dir.join("host_ed25519");
        keygen(&host_key, "");
        let key = dir.join("id_plain");
        keygen(&key, "");
        let enc_key = dir.join("id_enc");
        keygen(&enc_key, KEY_PASSPHRASE);
        let mut auth = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
        auth.push_str(&std::fs::read_to_string(enc_key.with_extension("pub")).expect("pub"));
        std::fs::write(dir.join("authorized_keys"), auth).expect("authorized_keys");
        let host_pub = std::fs::read_to_string(host_key.with_extension("pub")).expect("host pub");
        let yn = |b: bool| if b { "yes" } else { "no" };
        let force = if opts.fake_ios {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake_ios.sh");
            format!("ForceCommand {}\n", script.display())
        } else {
            String::new()
        };

        for attempt in 0..5 {
            let port = free_port();
            let config = format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {dir}/sshd.pid\n\
                 AuthorizedKeysFile {dir}/authorized_keys\nStrictModes no\n\
                 PubkeyAuthentication yes\nPasswordAuthentication {pw}\n\
                 KbdInteractiveAuthentication {kbd}\nUsePAM {pam}\nPermitRootLogin no\n\
                 AllowUsers {USER}\nLogLevel VERBOSE\nPrintMotd no\n{force}{extra}",
                hk = host_key.display(),
                dir = dir.display(),
                pw = yn(opts.password),
                kbd = yn(opts.kbdint),
                // Keyboard-interactive needs PAM on Linux; password alone works without it.
                pam = yn(opts.kbdint),
                extra = opts.extra_config,
            );
            let cfg_path = dir.join("sshd_config");
            std::fs::write(&cfg_path, config).expect("sshd_config");
            let log = std::fs::File::create(dir.join("sshd.log")).expect("log");
            let mut child = Command::new(&sshd)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&cfg_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", sshd.display()));
            let start = Instant::now();
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    let log = std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default();
                    if attempt < 4 && log.contains("Address already in use") {
                        break;
                    }
                    panic!("sshd exited at startup:\n{log}");
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Sshd {
                        child,
                        port,
                        dir,
                        key,
                        enc_key,
                        host_pub,
                    };
                }
                if start.elapsed() > Duration::from_secs(10) {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default();
                    panic!("sshd did not listen on 127.0.0.1:{port} within 10s:\n{log}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("could not find a free port for sshd");
    }

    /// sshd's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        // Kill exactly the sshd we started (its listener; per-connection children exit with it
        // or when the client disconnects).
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
