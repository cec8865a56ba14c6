//! Plugins the tests load: the Rust example (acmeos, built with cargo) and the C example (echo,
//! built with cc in the variants the tests need).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{Scratch, Session, netrun_in, repo};

/// `libacmeos.so`, built once per test run into its own target dir, so this build never waits
/// on the lock of the `cargo test` that runs us.
pub fn acmeos() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let target = repo().join("target").join("plugin-tests");
        let status = Command::new(env!("CARGO"))
            .current_dir(repo())
            .args([
                "build",
                "--quiet",
                "-p",
                "netrun-plugin-acmeos",
                "--target-dir",
            ])
            .arg(&target)
            .status()
            .expect("run cargo");
        assert!(status.success(), "building acmeos failed");
        let lib = target.join("debug").join("libacmeos.so");
        assert!(lib.exists(), "{} missing", lib.display());
        lib
    })
}

/// The C example compiled into `dir/NAME.so` with extra `-D` flags (the broken variants).
pub fn c_plugin(dir: &Path, name: &str, defines: &[&str]) -> PathBuf {
    let out = dir.join(format!("{name}.so"));
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-Wall", "-Werror", "-I"])
        .arg(repo().join("plugins/include"))
        .args(defines)
        .arg(repo().join("plugins/c-example/echo.c"))
        .arg("-o")
        .arg(&out)
        .status()
        .expect("run cc");
    assert!(status.success(), "cc failed for {name}");
    out
}

/// The version acmeos reports for `hostname` (same formula as the plugin).
pub fn acme_version(hostname: &str) -> String {
    let h = hostname.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("5.{}.{}", h % 5 + 1, h / 5 % 3)
}

pub fn lib_arg(path: &Path) -> String {
    path.display().to_string()
}

pub fn acme_scratch(hosts: &str, tasks: &[(&str, &str)]) -> Scratch {
    let s = Scratch::new();
    s.file("inventory/hosts.yaml", hosts);
    for (name, text) in tasks {
        s.file(&format!("tasks/{name}.yaml"), text);
    }
    s
}

pub fn run_acme(s: &Scratch, args: &[&str]) -> Session {
    let acme = lib_arg(acmeos());
    let mut all = vec!["--plugin", acme.as_str()];
    all.extend_from_slice(args);
    netrun_in(&s.path, &all, &[])
}
