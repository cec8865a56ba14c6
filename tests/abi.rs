//! The C header (plugins/include/netrun_plugin.h) and its Rust mirror (plugins/sdk/src/abi.rs)
//! describe the same memory: a C program compiled against the header prints every size,
//! offset and constant, and they must equal the Rust side's.

use std::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

use netrun_plugin_sdk::abi::*;

/// (name, C expression, Rust value) for every layout fact and constant of the ABI.
fn facts() -> Vec<(&'static str, &'static str, usize)> {
    vec![
        ("sizeof nr_str", "sizeof(nr_str)", size_of::<NrStr>()),
        (
            "nr_str.ptr",
            "offsetof(nr_str, ptr)",
            offset_of!(NrStr, ptr),
        ),
        (
            "nr_str.len",
            "offsetof(nr_str, len)",
            offset_of!(NrStr, len),
        ),
        (
            "sizeof nr_owned_str",
            "sizeof(nr_owned_str)",
            size_of::<NrOwnedStr>(),
        ),
        (
            "nr_owned_str.ptr",
            "offsetof(nr_owned_str, ptr)",
            offset_of!(NrOwnedStr, ptr),
        ),
        (
            "nr_owned_str.len",
            "offsetof(nr_owned_str, len)",
            offset_of!(NrOwnedStr, len),
        ),
        ("sizeof nr_error", "sizeof(nr_error)", size_of::<NrError>()),
        (
            "nr_error.code",
            "offsetof(nr_error, code)",
            offset_of!(NrError, code),
        ),
        (
            "nr_error.len",
            "offsetof(nr_error, len)",
            offset_of!(NrError, len),
        ),
        (
            "nr_error.message",
            "offsetof(nr_error, message)",
            offset_of!(NrError, message),
        ),
        (
            "sizeof nr_open_params",
            "sizeof(nr_open_params)",
            size_of::<NrOpenParams>(),
        ),
        (
            "nr_open_params.hostname",
            "offsetof(nr_open_params, hostname)",
            offset_of!(NrOpenParams, hostname),
        ),
        (
            "nr_open_params.port",
            "offsetof(nr_open_params, port)",
            offset_of!(NrOpenParams, port),
        ),
        (
            "nr_open_params.username",
            "offsetof(nr_open_params, username)",
            offset_of!(NrOpenParams, username),
        ),
        (
            "nr_open_params.password",
            "offsetof(nr_open_params, password)",
            offset_of!(NrOpenParams, password),
        ),
        (
            "nr_open_params.platform",
            "offsetof(nr_open_params, platform)",
            offset_of!(NrOpenParams, platform),
        ),
        (
            "nr_open_params.extras_json",
            "offsetof(nr_open_params, extras_json)",
            offset_of!(NrOpenParams, extras_json),
        ),
        (
            "sizeof nr_plugin_v1",
            "sizeof(nr_plugin_v1)",
            size_of::<NrPluginV1>(),
        ),
        (
            "nr_plugin_v1.abi_version",
            "offsetof(nr_plugin_v1, abi_version)",
            offset_of!(NrPluginV1, abi_version),
        ),
        (
            "nr_plugin_v1.struct_size",
            "offsetof(nr_plugin_v1, struct_size)",
            offset_of!(NrPluginV1, struct_size),
        ),
        (
            "nr_plugin_v1.open",
            "offsetof(nr_plugin_v1, open)",
            offset_of!(NrPluginV1, open),
        ),
        (
            "nr_plugin_v1.call",
            "offsetof(nr_plugin_v1, call)",
            offset_of!(NrPluginV1, call),
        ),
        (
            "nr_plugin_v1.is_alive",
            "offsetof(nr_plugin_v1, is_alive)",
            offset_of!(NrPluginV1, is_alive),
        ),
        (
            "nr_plugin_v1.close",
            "offsetof(nr_plugin_v1, close)",
            offset_of!(NrPluginV1, close),
        ),
        (
            "nr_plugin_v1.free_string",
            "offsetof(nr_plugin_v1, free_string)",
            offset_of!(NrPluginV1, free_string),
        ),
        (
            "nr_plugin_v1.name",
            "offsetof(nr_plugin_v1, name)",
            offset_of!(NrPluginV1, name),
        ),
        (
            "nr_plugin_v1.version",
            "offsetof(nr_plugin_v1, version)",
            offset_of!(NrPluginV1, version),
        ),
        (
            "nr_plugin_v1.info_json",
            "offsetof(nr_plugin_v1, info_json)",
            offset_of!(NrPluginV1, info_json),
        ),
        (
            "nr_plugin_v1.cancel",
            "offsetof(nr_plugin_v1, cancel)",
            offset_of!(NrPluginV1, cancel),
        ),
        (
            "NR_PLUGIN_SIZE_1_0",
            "NR_PLUGIN_SIZE_1_0",
            NR_PLUGIN_SIZE_1_0,
        ),
        (
            "NR_PLUGIN_SIZE_1_1",
            "NR_PLUGIN_SIZE_1_1",
            NR_PLUGIN_SIZE_1_1,
        ),
        ("NR_ABI_VERSION", "NR_ABI_VERSION", NR_ABI_VERSION as usize),
        ("NR_OK", "NR_OK", NR_OK as usize),
        ("NR_ERR_FAILED", "NR_ERR_FAILED", NR_ERR_FAILED as usize),
        (
            "NR_ERR_UNREACHABLE",
            "NR_ERR_UNREACHABLE",
            NR_ERR_UNREACHABLE as usize,
        ),
        ("NR_ERR_PANIC", "NR_ERR_PANIC", NR_ERR_PANIC as usize),
        ("NR_ERR_INVALID", "NR_ERR_INVALID", NR_ERR_INVALID as usize),
        (
            "NR_ERROR_MESSAGE_SIZE",
            "NR_ERROR_MESSAGE_SIZE",
            NR_ERROR_MESSAGE_SIZE,
        ),
    ]
}

#[test]
fn the_c_header_and_the_rust_mirror_agree() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("netrun-abi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let mut program = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include \"netrun_plugin.h\"\nint main(void) {\n",
    );
    for (name, expr, _) in facts() {
        program.push_str(&format!(
            "    printf(\"%s %zu\\n\", \"{name}\", (size_t)({expr}));\n"
        ));
    }
    program.push_str("    return 0;\n}\n");
    let source = dir.join("layout.c");
    let binary = dir.join("layout");
    std::fs::write(&source, program).expect("write C program");
    let status = Command::new("cc")
        .args(["-Wall", "-Werror", "-I"])
        .arg(repo.join("plugins/include"))
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .status()
        .expect("run cc (a C compiler is a test prerequisite)");
    assert!(status.success(), "the header does not compile");
    let output = Command::new(&binary)
        .output()
        .expect("run the layout program");
    let printed = String::from_utf8_lossy(&output.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    let mut differences = Vec::new();
    for (line, (name, _, rust)) in printed.lines().zip(facts()) {
        let c: usize = line
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(usize::MAX);
        if c != rust {
            differences.push(format!("{name}: C says {c}, Rust says {rust}"));
        }
    }
    assert_eq!(printed.lines().count(), facts().len(), "{printed}");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
