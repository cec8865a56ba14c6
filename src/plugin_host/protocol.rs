//! The protocol between netrun and a plugin helper (`netrun plugin-host PATH`, started by
//! `isolated.rs`, served by `serve.rs`).
//!
//! **Frames.** Requests travel on the helper's stdin, responses on its stdout. A frame is a
//! 4-byte big-endian length, then that many bytes of one JSON object. The helper moves its real
//! stdout and stdin out of the plugin's reach first (its fd 1 becomes stderr, fd 0 `/dev/null`),
//! so a plugin that prints cannot corrupt the stream; the helper's stderr is netrun's.
//!
//! **Requests** (netrun → helper), each with an `id` chosen by netrun and answered once:
//!
//! | request | answer `ok` |
//! |---|---|
//! | `{"id":1,"op":"info"}` | `{"name","version","declared":{...}}`, or error `broken_plugin` with why the library cannot be used |
//! | `{"id":2,"op":"open","conn":7,"target":{"host","hostname","port",...}}` | `null`; `conn` is chosen by netrun |
//! | `{"id":3,"op":"call","conn":7,"name":"get_version","args":{...}}` | the call's JSON result |
//! | `{"id":4,"op":"is_alive","conn":7}` | `true` or `false` |
//! | `{"id":5,"op":"close","conn":7}` | `null` |
//!
//! and two that are never answered: `{"id":6,"op":"cancel","conn":7}` — netrun gave up on the
//! connection (a deadline passed during its open, call or is-alive): the helper asks the
//! plugin's `cancel` to end a running call, closes the connection once it is idle (or opened),
//! and forgets it; and `{"id":8,"op":"exit"}` — the helper exits at once, without waiting for
//! calls that have not returned.
//!
//! **Responses** (helper → netrun): `{"id":3,"ok":VALUE}` or
//! `{"id":3,"error":{"code":"failed","message":"..."}}`, where `code` is `unreachable`,
//! `failed`, `timeout`, `broken`, `unsupported`, `cancelled` or `broken_plugin`. They come in
//! any order: the helper handles every request as it arrives, each call on a thread of its own,
//! so calls on different connections run at once (one call per connection at a time, as netrun
//! ensures).
//!
//! **Life.** netrun starts one helper per library when it first needs the library's info, and
//! asks `info` (bounded by [`super::INIT_TIMEOUT`]); the same helper then serves every host of
//! the run. If it dies, every request still pending fails with `plugin `x` crashed (signal N)`
//! (or `(exit status N)`: even `exit(0)` is a crash while requests are pending), and the next
//! open starts a new helper. At the end of a command netrun sends `exit`, and kills a helper
//! that has not exited after a short grace period; a helper whose stdin closes exits too.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::connection::{ConnectionError, Declared, Target};

/// The largest frame either side accepts: a plugin's result is at most 1 GiB of text, which
/// JSON escaping can grow; anything beyond this is a broken peer.
const MAX_FRAME: usize = u32::MAX as usize;

/// A request from netrun.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Request {
    /// Chosen by netrun; repeated in the response.
    pub id: u64,
    /// What to do.
    #[serde(flatten)]
    pub body: Body,
}

/// What a request asks for.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(super) enum Body {
    /// The library's metadata, or why it cannot be used.
    Info,
    /// Open connection `conn` to `target`.
    Open { conn: u64, target: WireTarget },
    /// Run operation `name` with JSON `args` on `conn`.
    Call {
        conn: u64,
        name: String,
        args: Value,
    },
    /// Whether `conn` still works.
    IsAlive { conn: u64 },
    /// Close `conn` politely.
    Close { conn: u64 },
    /// netrun gave up on `conn`; never answered.
    Cancel { conn: u64 },
    /// Exit now; never answered.
    Exit,
}

/// A response from the helper.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Response {
    /// The request's id.
    pub id: u64,
    /// Its result.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A request's result: a value or an error.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Outcome {
    /// It worked.
    Ok(Value),
    /// It did not.
    Error(WireError),
}

/// An error as it crosses the pipe.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireError {
    /// `unreachable`, `failed`, `timeout`, `broken`, `unsupported`, `cancelled`,
    /// `broken_plugin`.
    pub code: String,
    /// What happened.
    pub message: String,
}

/// The code of an error that says the library cannot be used at all.
pub(super) const BROKEN_PLUGIN: &str = "broken_plugin";

impl WireError {
    /// An error with `code`.
    pub fn new(code: &str, message: impl Into<String>) -> WireError {
        WireError {
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// The error a connection gets on netrun's side.
    pub fn into_connection_error(self) -> ConnectionError {
        let message = self.message;
        match self.code.as_str() {
            "unreachable" => ConnectionError::Unreachable { message },
            "timeout" => ConnectionError::Timeout {
                message,
                partial: None,
            },
            "broken" => ConnectionError::Broken {
                message,
                partial: None,
            },
            _ => ConnectionError::Failed {
                message,
                partial: None,
            },
        }
    }
}

impl From<&ConnectionError> for WireError {
    fn from(err: &ConnectionError) -> WireError {
        let code = match err {
            ConnectionError::Unreachable { .. } => "unreachable",
            ConnectionError::Failed { .. } => "failed",
            ConnectionError::Timeout { .. } => "timeout",
            ConnectionError::Broken { .. } => "broken",
            ConnectionError::Unsupported { .. } | ConnectionError::UnknownPlugin(_) => {
                "unsupported"
            }
        };
        WireError::new(code, err.to_string())
    }
}

/// A library's metadata, the `ok` of `info`.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireInfo {
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Step kinds, operations and dry-run support.
    pub declared: Declared,
}

/// What `open` needs of a [`Target`] (the password included: the pipe is private to netrun
/// and its own child).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireTarget {
    /// The inventory name.
    pub host: String,
    /// Address or DNS name.
    pub hostname: String,
    /// Port, if set.
    pub port: Option<u16>,
    /// Login name, if set.
    pub username: Option<String>,
    /// Password, if set.
    pub password: Option<String>,
    /// Platform, if set.
    pub platform: Option<String>,
    /// Plugin-specific settings.
    pub extras: serde_json::Map<String, Value>,
}

impl From<&Target> for WireTarget {
    fn from(t: &Target) -> WireTarget {
        WireTarget {
            host: t.host.clone(),
            hostname: t.hostname.clone(),
            port: t.port,
            username: t.username.clone(),
            password: t.password.clone(),
            platform: t.platform.clone(),
            extras: t.extras.clone(),
        }
    }
}

impl From<WireTarget> for Target {
    fn from(t: WireTarget) -> Target {
        Target {
            host: t.host,
            hostname: t.hostname,
            port: t.port,
            username: t.username,
            password: t.password,
            platform: t.platform,
            extras: t.extras,
            data_secrets: Vec::new(),
        }
    }
}

/// `message` as a frame: its length, then its JSON.
pub(super) fn encode<T: Serialize>(message: &T) -> io::Result<Vec<u8>> {
    let mut frame = vec![0; 4];
    serde_json::to_writer(&mut frame, message).map_err(io::Error::other)?;
    let len = u32::try_from(frame.len() - 4)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "frame too large"))?;
    frame[..4].copy_from_slice(&len.to_be_bytes());
    Ok(frame)
}

/// Writes one encoded frame.
pub(super) fn write_frame(out: &mut impl Write, frame: &[u8]) -> io::Result<()> {
    out.write_all(frame)?;
    out.flush()
}

/// Reads one frame's JSON, or `None` at a clean end of the stream.
pub(super) fn read_frame(input: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(err),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    let mut body = Vec::new();
    input.take(len as u64).read_to_end(&mut body)?;
    if body.len() != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "stream ended inside a frame",
        ));
    }
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de>>(message: &T) -> (String, T) {
        let frame = encode(message).unwrap();
        let body = read_frame(&mut &frame[..]).unwrap().unwrap();
        let text = String::from_utf8(body.clone()).unwrap();
        (text, serde_json::from_slice(&body).unwrap())
    }

    #[test]
    fn frames_are_length_prefixed_json_objects() {
        let (text, back) = round_trip(&Request {
            id: 3,
            body: Body::Call {
                conn: 7,
                name: "get_version".into(),
                args: serde_json::json!({"a": 1}),
            },
        });
        assert_eq!(
            text,
            r#"{"id":3,"op":"call","conn":7,"name":"get_version","args":{"a":1}}"#
        );
        assert!(matches!(back.body, Body::Call { conn: 7, .. }));
        let (text, back) = round_trip(&Request {
            id: 1,
            body: Body::Info,
        });
        assert_eq!(text, r#"{"id":1,"op":"info"}"#);
        assert!(matches!(back.body, Body::Info));
        let (text, back) = round_trip(&Response {
            id: 5,
            outcome: Outcome::Ok(Value::Null),
        });
        assert_eq!(text, r#"{"id":5,"ok":null}"#);
        assert!(matches!(back.outcome, Outcome::Ok(Value::Null)));
        let (text, _) = round_trip(&Response {
            id: 6,
            outcome: Outcome::Error(WireError::new("failed", "no")),
        });
        assert_eq!(text, r#"{"id":6,"error":{"code":"failed","message":"no"}}"#);
    }

    #[test]
    fn a_cut_stream_is_an_error_and_a_clean_end_is_none() {
        let frame = encode(&Request {
            id: 1,
            body: Body::Exit,
        })
        .unwrap();
        assert!(read_frame(&mut &frame[..frame.len() - 1]).is_err());
        assert!(read_frame(&mut &[][..]).unwrap().is_none());
    }
}
