//! Drives the generated ABI table in-process, the way the host does after `dlopen`.
use std::sync::OnceLock;

use crate::abi::*;
use crate::*;

struct Echo;
struct EchoConn {
    host: String,
    password: Option<String>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Plugin for Echo {
    const NAME: &'static str = "echo";
    const VERSION: &'static str = "1.2.3";
    type Conn = EchoConn;
    fn info() -> Info {
        Info {
            command_types: vec![CommandType::Cli, CommandType::Custom],
            operations: vec![Operation::read_only("echo")],
            dry_run: true,
        }
    }
    fn open(params: OpenParams) -> Result<EchoConn, PluginError> {
        match params.hostname.as_str() {
            "down" => Err(PluginError::unreachable("no route to down")),
            "boom" => panic!("open exploded"),
            _ => Ok(EchoConn {
                host: params.hostname,
                password: params.password,
                stop: Default::default(),
            }),
        }
    }
}

impl PluginConnection for EchoConn {
    fn call(
        &mut self,
        op: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, PluginError> {
        match op {
            "echo" => Ok(serde_json::json!({"host": self.host, "args": args})),
            "panic" => panic!("call exploded"),
            "password" => Ok(serde_json::json!(self.password)),
            // Blocks until cancelled, like a device that never answers.
            "wait" => {
                let started = std::time::Instant::now();
                while !self.stop.load(std::sync::atomic::Ordering::SeqCst) {
                    if started.elapsed() > std::time::Duration::from_secs(10) {
                        return Err(PluginError::failed("never cancelled"));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Ok(serde_json::json!("cancelled"))
            }
            other => Err(PluginError::invalid(format!("unknown operation `{other}`"))),
        }
    }

    fn canceller(&self) -> Option<Canceller> {
        let stop = self.stop.clone();
        Some(std::sync::Arc::new(move || {
            stop.store(true, std::sync::atomic::Ordering::SeqCst)
        }))
    }
}

static INFO: OnceLock<String> = OnceLock::new();

fn table() -> NrPluginV1 {
    let mut table = std::mem::MaybeUninit::<NrPluginV1>::zeroed();
    let mut err = NrError::new();
    let size = std::mem::size_of::<NrPluginV1>() as u32;
    // SAFETY: a writable table of `size` bytes and an error buffer.
    let rc =
        unsafe { entry::init::<Echo>(&INFO, NR_ABI_VERSION, table.as_mut_ptr(), size, &mut err) };
    assert_eq!(rc, NR_OK, "{}", err.message());
    // SAFETY: `init` filled the whole table.
    unsafe { table.assume_init() }
}

fn params(hostname: &str, port: &str, extras: &str) -> NrOpenParams {
    NrOpenParams {
        hostname: NrStr::borrowed(hostname),
        port: NrStr::optional((!port.is_empty()).then_some(port)),
        username: NrStr::borrowed("admin"),
        password: NrStr::ABSENT,
        platform: NrStr::ABSENT,
        extras_json: NrStr::borrowed(extras),
    }
}

/// Opens a connection; the error when it fails.
fn open(t: &NrPluginV1, p: &NrOpenParams) -> Result<*mut NrConnection, (i32, String)> {
    let mut conn: *mut NrConnection = std::ptr::null_mut();
    let mut err = NrError::new();
    let open = t.open.expect("open");
    // SAFETY: valid params, out pointer and error buffer.
    let rc = unsafe { open(p, &mut conn, &mut err) };
    if rc == NR_OK {
        Ok(conn)
    } else {
        Err((rc, err.message()))
    }
}

/// Calls `op`; the result JSON, freed through the plugin, or the error.
fn call(
    t: &NrPluginV1,
    conn: *mut NrConnection,
    op: &str,
    args: &str,
) -> Result<String, (i32, String)> {
    let mut out = NrOwnedStr {
        ptr: std::ptr::null_mut(),
        len: 0,
    };
    let mut err = NrError::new();
    let call = t.call.expect("call");
    // SAFETY: a connection from `open`, borrowed strings and out/error buffers.
    let rc = unsafe {
        call(
            conn,
            NrStr::borrowed(op),
            NrStr::borrowed(args),
            &mut out,
            &mut err,
        )
    };
    if rc != NR_OK {
        return Err((rc, err.message()));
    }
    // SAFETY: on success `out` is the plugin's string, valid until freed.
    let json = unsafe {
        NrStr {
            ptr: out.ptr,
            len: out.len,
        }
        .as_str()
    }
    .expect("utf-8")
    .to_string();
    // SAFETY: freed once, by the plugin that made it.
    unsafe { t.free_string.expect("free_string")(out) };
    Ok(json)
}

fn close(t: &NrPluginV1, conn: *mut NrConnection) {
    // SAFETY: a connection from `open`, closed once.
    unsafe { t.close.expect("close")(conn) };
}

#[test]
fn init_describes_the_plugin() {
    let t = table();
    assert_eq!(t.abi_version, NR_ABI_VERSION);
    assert_eq!(t.struct_size as usize, std::mem::size_of::<NrPluginV1>());
    // SAFETY: the table's strings are static in the plugin.
    let (name, version, info) =
        unsafe { (t.name.as_str(), t.version.as_str(), t.info_json.as_str()) };
    assert_eq!(name, Ok("echo"));
    assert_eq!(version, Ok("1.2.3"));
    let info: serde_json::Value = serde_json::from_str(info.expect("utf-8")).expect("json");
    assert_eq!(
        info,
        serde_json::json!({
            "command_types": ["cli", "custom"],
            "operations": [{"name": "echo", "read_only": true}],
            "dry_run": true
        })
    );
}

#[test]
fn init_refuses_an_older_host_and_a_missing_table() {
    let mut table = std::mem::MaybeUninit::<NrPluginV1>::zeroed();
    let mut err = NrError::new();
    let size = std::mem::size_of::<NrPluginV1>() as u32;
    // SAFETY: valid buffers; the version check comes first.
    let rc = unsafe { entry::init::<Echo>(&INFO, 0, table.as_mut_ptr(), size, &mut err) };
    assert_eq!(rc, NR_ERR_INVALID);
    assert_eq!(err.message(), "plugin implements ABI 1, host offers 0");
    // SAFETY: a null table is reported, not written to.
    let rc =
        unsafe { entry::init::<Echo>(&INFO, NR_ABI_VERSION, std::ptr::null_mut(), size, &mut err) };
    assert_eq!(rc, NR_ERR_INVALID);
    assert_eq!(err.message(), "no table given");
}

#[test]
fn init_never_writes_past_an_older_hosts_shorter_table() {
    // An older host's table that only has the two version fields, followed by bytes that
    // must stay untouched.
    let mut buf = [0xAAu8; std::mem::size_of::<NrPluginV1>() + 8];
    let mut err = NrError::new();
    // SAFETY: `buf` is larger than the 8 bytes announced; NrPluginV1 is 8-aligned at most
    // and the plugin copies bytes, not the struct.
    let rc =
        unsafe { entry::init::<Echo>(&INFO, NR_ABI_VERSION, buf.as_mut_ptr().cast(), 8, &mut err) };
    assert_eq!(rc, NR_OK);
    assert_eq!(
        u32::from_ne_bytes(buf[0..4].try_into().expect("4 bytes")),
        NR_ABI_VERSION
    );
    assert!(buf[8..].iter().all(|&b| b == 0xAA), "wrote past the table");
}

#[test]
fn open_call_close_round_trip() {
    let t = table();
    let conn = open(&t, &params("r1", "830", r#"{"mode":"fast"}"#)).expect("open");
    // SAFETY: a live connection.
    assert_eq!(unsafe { t.is_alive.expect("is_alive")(conn) }, 1);
    let json = |s: String| serde_json::from_str::<serde_json::Value>(&s).expect("json");
    let out = call(&t, conn, "echo", r#"{"x":[1,2]}"#).expect("call");
    assert_eq!(
        json(out),
        serde_json::json!({"host": "r1", "args": {"x": [1, 2]}})
    );
    // Empty args arrive as JSON null.
    let out = call(&t, conn, "echo", "").expect("call");
    assert_eq!(json(out), serde_json::json!({"host": "r1", "args": null}));
    close(&t, conn);
}

#[test]
fn errors_and_panics_become_codes_and_messages() {
    let t = table();
    assert_eq!(
        open(&t, &params("down", "", "")).err(),
        Some((NR_ERR_UNREACHABLE, "no route to down".to_string()))
    );
    assert_eq!(
        open(&t, &params("r1", "http", "")).err(),
        Some((NR_ERR_INVALID, "bad port `http`".to_string()))
    );
    let bad_extras = open(&t, &params("r1", "", "[1]")).expect_err("rejected");
    assert_eq!(bad_extras.0, NR_ERR_INVALID);
    assert!(
        bad_extras.1.starts_with("bad extras JSON: "),
        "{}",
        bad_extras.1
    );
    assert_eq!(
        open(&t, &params("boom", "", "")).err(),
        Some((NR_ERR_PANIC, "plugin panicked: open exploded".to_string()))
    );

    let conn = open(&t, &params("r1", "", "")).expect("open");
    assert_eq!(
        call(&t, conn, "reboot", "").err(),
        Some((NR_ERR_INVALID, "unknown operation `reboot`".to_string()))
    );
    let bad_args = call(&t, conn, "echo", "{not json").expect_err("rejected");
    assert_eq!(bad_args.0, NR_ERR_INVALID);
    assert!(bad_args.1.starts_with("bad args JSON: "), "{}", bad_args.1);
    assert_eq!(
        call(&t, conn, "panic", "").err(),
        Some((NR_ERR_PANIC, "plugin panicked: call exploded".to_string()))
    );
    // The connection survives its operations' failures.
    assert!(call(&t, conn, "echo", "1").is_ok());
    close(&t, conn);
}

#[test]
fn error_message_is_cut_at_a_character_boundary() {
    let mut err = NrError::new();
    // 1,023 ASCII bytes then a 2-byte character: only the ASCII fits.
    let long = format!("{}é and more", "x".repeat(NR_ERROR_MESSAGE_SIZE - 1));
    err.set(NR_ERR_FAILED, &long);
    assert_eq!(err.len as usize, NR_ERROR_MESSAGE_SIZE - 1);
    assert_eq!(err.message(), "x".repeat(NR_ERROR_MESSAGE_SIZE - 1));
    // A plugin that writes a bogus length or bytes cannot make the host misbehave.
    err.len = u32::MAX;
    err.message[0] = 0xFF;
    assert_eq!(err.message().chars().count(), NR_ERROR_MESSAGE_SIZE);
    assert!(err.message().starts_with('\u{FFFD}'));
}

#[test]
fn absent_and_empty_strings_are_told_apart() {
    let t = table();
    let mut p = params("r1", "", "");
    let conn = open(&t, &p).expect("open");
    assert_eq!(call(&t, conn, "password", "").as_deref(), Ok("null"));
    close(&t, conn);
    p.password = NrStr::borrowed("");
    let conn = open(&t, &p).expect("open");
    assert_eq!(call(&t, conn, "password", "").as_deref(), Ok("\"\""));
    close(&t, conn);
    // A length no allocation can have is refused before any slice is built.
    p.password = NrStr {
        ptr: "x".as_ptr(),
        len: 1 << 40,
    };
    let (code, message) = open(&t, &p).expect_err("refused");
    assert_eq!(code, NR_ERR_INVALID);
    assert_eq!(
        message,
        "password has an impossible length (1099511627776 bytes)"
    );
}

#[test]
fn cancel_makes_a_blocked_call_return() {
    let t = table();
    assert!(t.cancel.is_some(), "revision 1.1 fills cancel");
    assert_eq!(t.struct_size as usize, NR_PLUGIN_SIZE_1_1);
    const { assert!(NR_PLUGIN_SIZE_1_0 < NR_PLUGIN_SIZE_1_1) };
    let conn = open(&t, &params("r1", "", "")).expect("open");
    let handle = conn as usize;
    let cancel = t.cancel.expect("cancel");
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        // SAFETY: the connection stays open until the call below returns and it is closed.
        unsafe { cancel(handle as *mut NrConnection) }
    });
    assert_eq!(call(&t, conn, "wait", "").as_deref(), Ok("\"cancelled\""));
    assert_eq!(canceller.join().expect("thread"), NR_OK);
    close(&t, conn);
}

#[test]
fn impossible_lengths_are_refused_before_a_slice_is_built() {
    let text = "ok";
    let with_len = |len: usize| NrStr {
        ptr: text.as_ptr(),
        len,
    };
    // A valid pointer with a huge length would read far past the allocation.
    for len in [1 << 40, NR_MAX_STRING_LEN + 1, usize::MAX] {
        // SAFETY: refused before any byte is read.
        let read = unsafe { with_len(len).as_opt_str() };
        assert_eq!(read, Err(StrError::BadLength(len)));
    }
    let null = NrStr {
        ptr: std::ptr::null(),
        len: 5,
    };
    // SAFETY: a null pointer is never read.
    assert_eq!(unsafe { null.as_opt_str() }, Err(StrError::BadLength(5)));
    // SAFETY: `text` lives for the whole test.
    assert_eq!(unsafe { with_len(2).as_opt_str() }, Ok(Some("ok")));
}
