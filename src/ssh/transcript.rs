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

/// Marker written instead of a secret: the same as in every other output.
pub const REDACTED: &[u8] = crate::secrets::REDACTED.as_bytes();

/// Per-channel recorder that scrubs known secrets before they reach the sink.
///
/// A secret can arrive split over two SSH packets, so the end of the received data that could
/// still be the start of a secret is held back until the next packet shows what follows.
pub(crate) struct Recorder {
    sink: Arc<dyn TranscriptSink>,
    secrets: Vec<String>,
    held: Mutex<Vec<u8>>,
}

impl Recorder {
    pub(crate) fn new(sink: Arc<dyn TranscriptSink>, secrets: Vec<String>) -> Self {
        // The same rule as every other output (`crate::secrets::Redactor`).
        let secrets = secrets
            .into_iter()
            .filter(|s| s.chars().count() >= crate::secrets::MIN_SECRET_LEN)
            .collect();
        Recorder {
            sink,
            secrets,
            held: Mutex::new(Vec::new()),
        }
    }

    /// Record data that is known to be a secret (password answer): only the marker is kept.
    pub(crate) fn secret_sent(&self) {
        self.flush();
        self.sink.record(Direction::Sent, REDACTED);
        self.sink.record(Direction::Sent, b"\n");
    }

    /// Record ordinary data, replacing any occurrence of a secret.
    pub(crate) fn record(&self, direction: Direction, data: &[u8]) {
        match direction {
            Direction::Sent => {
                // What the device sent before this goes first, as it happened.
                self.flush();
                self.sink.record(direction, &redact(data, &self.secrets));
            }
            Direction::Received => {
                let Ok(mut held) = self.held.lock() else {
                    return;
                };
                held.extend_from_slice(data);
                let scrubbed = redact(&held, &self.secrets);
                let keep = secret_prefix_len(&scrubbed, &self.secrets);
                let (ready, rest) = scrubbed.split_at(scrubbed.len() - keep);
                if !ready.is_empty() {
                    self.sink.record(direction, ready);
                }
                *held = rest.to_vec();
            }
        }
    }

    /// Writes out held-back received data (it did not turn into a secret).
    fn flush(&self) {
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        if !held.is_empty() {
            self.sink.record(Direction::Received, &held);
            held.clear();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Length of the longest end of `data` that is the beginning (not the whole) of a secret.
fn secret_prefix_len(data: &[u8], secrets: &[String]) -> usize {
    secrets
        .iter()
        .map(|s| {
            let s = s.as_bytes();
            (1..s.len().min(data.len() + 1))
                .rev()
                .find(|&n| data.ends_with(&s[..n]))
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
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
        assert_eq!(mem.received_text(), "echo *** done");
        assert_eq!(mem.sent_text(), "***\n");
    }

    #[test]
    fn a_secret_split_across_packets_is_scrubbed() {
        let mem = MemoryTranscript::new();
        let rec = Recorder::new(Arc::new(mem.clone()), vec!["Pa55word".into()]);
        // Split at every position, and one byte at a time.
        let text = b"serial: Pa55word x Pa55word";
        for cut in 1..text.len() {
            let (a, b) = text.split_at(cut);
            rec.record(Direction::Received, a);
            rec.record(Direction::Received, b);
            rec.record(Direction::Received, b"\n");
        }
        for byte in text {
            rec.record(Direction::Received, std::slice::from_ref(byte));
        }
        drop(rec);
        let got = mem.received_text();
        assert!(!got.contains("Pa55word"), "{got}");
        let expected = "serial: *** x ***";
        assert_eq!(got.matches(expected).count(), text.len(), "{got}");
    }

    #[test]
    fn held_back_text_is_written_before_what_is_sent_and_at_the_end() {
        let mem = MemoryTranscript::new();
        let sink: Arc<dyn TranscriptSink> = Arc::new(mem.clone());
        let rec = Recorder::new(sink, vec!["secret".into()]);
        // "r1#se" could be the start of "secret": held until something else happens.
        rec.record(Direction::Received, b"r1#se");
        assert_eq!(mem.received_text(), "r1#");
        rec.record(Direction::Sent, b"show clock\n");
        assert_eq!(mem.received_text(), "r1#se");
        rec.record(Direction::Received, b"cre");
        drop(rec);
        assert_eq!(mem.received_text(), "r1#secre");
    }
}
