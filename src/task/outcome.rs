//! What a step's operation comes back with: its result, how a step that ran ended, and why
//! one failed.

use crate::connection::{ConnectionError, HostConnections, Operation, Output};
use crate::result::Status;

/// How a step that did not fail ended.
pub(super) enum Done {
    /// It ran: its result, and whether it changes the device.
    Ran {
        result: Option<Returned>,
        changes: bool,
    },
    /// It did not run (a dry run), and why.
    Skipped(String),
    /// A config step: what it sent or would send.
    Config(Box<super::config_step::ConfigDone>),
}

/// Why a step failed: the message, output received before the failure, and the status it
/// gives the step (`failed`, `timeout` when a deadline passed, `unreachable`).
pub(super) struct StepError {
    pub(super) message: String,
    pub(super) partial: Option<String>,
    pub(super) status: Status,
}

impl StepError {
    pub(super) fn failed(message: String) -> StepError {
        StepError {
            message,
            partial: None,
            status: Status::Failed,
        }
    }
}

impl From<ConnectionError> for StepError {
    fn from(err: ConnectionError) -> StepError {
        let status = match &err {
            ConnectionError::Unreachable { .. } => Status::Unreachable,
            ConnectionError::Timeout { .. } => Status::Timeout,
            _ => Status::Failed,
        };
        StepError {
            message: err.to_string(),
            partial: err.partial().map(str::to_string),
            status,
        }
    }
}

/// What an operation returned: its result (records, when parsed), the text parsed into them,
/// and stderr for commands run on their own.
pub(super) struct Returned {
    pub(super) result: serde_json::Value,
    pub(super) parsed: Option<crate::result::Parsed>,
    pub(super) stderr: Option<String>,
}

/// Runs an operation; device text becomes a JSON string without a copy.
pub(super) async fn run_op(
    connections: &mut HostConnections,
    plugin: &str,
    op: Operation<'_>,
) -> Result<Returned, StepError> {
    let (result, stderr) = match connections.run(plugin, op).await? {
        Output::Text(text) => (serde_json::Value::String(text), None),
        Output::Exec { stdout, stderr } => (
            serde_json::Value::String(stdout),
            (!stderr.is_empty()).then_some(stderr),
        ),
        Output::Json(value) => (value, None),
    };
    Ok(Returned {
        result,
        parsed: None,
        stderr,
    })
}
