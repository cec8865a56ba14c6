//! Optional session transcript of everything sent and received, with secrets redacted.

use std::sync::{Arc, Mutex};

/// Which way the bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by netrun to the device.
    Sent,
    /// Received from the device.
    Received,
}

/// Receives transcript data; implement to write to a file, a log, etc.
pub trait TranscriptSink: Send + Sync {
    /// Record one chunk (already redacted).
    fn record(&self, direction: Direction, data: &[u8]);
}

/// A transcript kept in memory: received bytes verbatim, sent bytes verbatim as well, so
/// the buffer reads like the terminal session (the device echo shows what was typed).
#[derive(Debug, Clone, Default)]
pub struct MemoryTranscript {
    data: Arc<Mutex<Vec<u8>>>,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl MemoryTranscript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything received (the terminal view), lossily decoded.
    pub fn received_text(&self) -> String {
        self.data
            .lock()
            .map(|d| String::from_utf8_lossy(&d).into_owned())
            .unwrap_or_default()
    }

    /// Everything sent, lossily decoded.
    pub fn sent_text(&self) -> String {
        self.sent
            .lock()
            .map(|d| String::from_utf8_lossy(&d).into_owned())
            .unwrap_or_default()
    }
}

impl TranscriptSink for MemoryTranscript {
    fn record(&self, direction: Direction, data: &[u8]) {
        let target = match direction {
            Direction::Sent => &self.sent,
            Direction::Received => &self.data,
        };
        if let Ok(mut d) = target.lock() {
            d.extend_from_slice(data);
        }
    }
}

/// Marker written instead of a secret.
pub const REDACTED: &[u8] = b"********";

/// Per-channel recorder that scrubs known secrets before they reach the sink.
#[derive(Clone)]
pub(crate) struct Recorder {
    sink: Arc<dyn TranscriptSink>,
    secrets: Vec<String>,
}

impl Recorder {
    pub(crate) fn new(sink: Arc<dyn TranscriptSink>, secrets: Vec<String>) -> Self {
        Recorder { sink, secrets }
    }

    /// Record data that is known to be a secret (password answer): only the marker is kept.
    pub(crate) fn secret_sent(&self) {
        self.sink.record(Direction::Sent, REDACTED);
        self.sink.record(Direction::Sent, b"\n");
    }

    /// Record ordinary data, replacing any occurrence of a secret.
    pub(crate) fn record(&self, direction: Direction, data: &[u8]) {
        let scrubbed = redact(data, &self.secrets);
        self.sink.record(direction, &scrubbed);
    }
}

fn redact(data: &[u8], secrets: &[String]) -> Vec<u8> {
    let mut out = data.to_vec();
    for s in secrets {
        let needle = s.as_bytes();
        if needle.is_empty() {
            continue;
        }
        let mut result = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            if out[i..].starts_with(needle) {
                result.extend_from_slice(REDACTED);
                i += needle.len();
            } else {
                result.push(out[i]);
                i += 1;
            }
        }
        out = result;
    }
    out
}

/// A transcript written to a file as the session goes: what the device sent verbatim (carriage
/// returns dropped), and what netrun sent on lines of their own, already redacted.
pub struct FileTranscript {
    file: Mutex<std::fs::File>,
}

impl FileTranscript {
    /// Creates (or truncates) `path`.
    pub fn create(path: &std::path::Path) -> std::io::Result<FileTranscript> {
        Ok(FileTranscript {
            file: Mutex::new(std::fs::File::create(path)?),
        })
    }

    /// Appends to `path` (a reconnect within the same run).
    pub fn append(path: &std::path::Path) -> std::io::Result<FileTranscript> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(FileTranscript {
            file: Mutex::new(file),
        })
    }
}

impl TranscriptSink for FileTranscript {
    fn record(&self, direction: Direction, data: &[u8]) {
        use std::io::Write;
        let Ok(mut file) = self.file.lock() else {
            return;
        };
        // A transcript that cannot be written must not fail the session it records.
        let _ = match direction {
            Direction::Sent => writeln!(file, "\n>>> sent {:?}", String::from_utf8_lossy(data)),
            Direction::Received => {
                let text: Vec<u8> = data.iter().copied().filter(|&b| b != b'\r').collect();
                file.write_all(&text)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed() {
        let mem = MemoryTranscript::new();
        let rec = Recorder::new(Arc::new(mem.clone()), vec!["hunter2".into()]);
        rec.record(Direction::Received, b"echo hunter2 done");
        rec.secret_sent();
        assert_eq!(mem.received_text(), "echo ******** done");
        assert_eq!(mem.sent_text(), "********\n");
    }
}
