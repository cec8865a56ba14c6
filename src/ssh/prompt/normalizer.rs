//! Streaming byte → text cleanup of a terminal stream, as a terminal would show it.

use super::last_line_start;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Esc {
    #[default]
    Ground,
    /// Just saw ESC.
    Escape,
    /// ESC followed by intermediate bytes (0x20..=0x2F), waiting for the final byte.
    Intermediate,
    /// Control Sequence Introducer (`ESC [`), waiting for the final byte 0x40..=0x7E.
    Csi,
    /// Operating System Command / string (`ESC ]`, `ESC P`, ...), ends with BEL or `ESC \`.
    Osc,
    /// Saw ESC inside an OSC string (possible `ESC \` terminator).
    OscEscape,
}

/// Streaming cleaner for terminal output.
///
/// Keeps state between chunks, so a UTF-8 character or an escape sequence split across two
/// SSH packets is handled as if it had arrived whole.
#[derive(Debug, Default)]
pub struct Normalizer {
    esc: Esc,
    /// Undecoded bytes: at most an incomplete UTF-8 sequence carried to the next chunk.
    utf8: Vec<u8>,
    /// After a lone carriage return: where the next character lands in the current line, as on
    /// a terminal (`p 10%\rp 100%` reads `p 100%`). `None`: at the end.
    cursor: Option<usize>,
}

impl Normalizer {
    /// A normaliser in its initial state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Clean `chunk` and append the text to `out`.
    ///
    /// Backspaces delete the previous character of `out`, but never at or before byte
    /// `floor` and never across a newline (so erasing a removed pager cannot eat output).
    pub fn feed(&mut self, chunk: &[u8], out: &mut String, floor: usize) {
        for &b in chunk {
            match self.esc {
                Esc::Ground => match b {
                    0x1b => {
                        self.flush_utf8(out, false);
                        self.esc = Esc::Escape;
                    }
                    b'\n' => {
                        self.flush_utf8(out, false);
                        // A line feed keeps the line and goes to a new one, wherever the
                        // cursor was.
                        self.cursor = None;
                        out.push('\n');
                    }
                    b'\t' => {
                        self.flush_utf8(out, false);
                        self.put(out, "\t");
                    }
                    // Back to the start of the line: what follows overwrites it (so \r\n and
                    // \r\r\n are plain line ends, and a rewritten progress line reads last).
                    b'\r' => {
                        self.flush_utf8(out, false);
                        self.cursor = Some(last_line_start(out).max(floor.min(out.len())));
                    }
                    0x08 | 0x7f => {
                        self.flush_utf8(out, false);
                        match self.cursor {
                            // Mid-line, a backspace only moves the cursor.
                            Some(pos) => {
                                let start = last_line_start(out).max(floor.min(out.len()));
                                let back = out[start..pos].chars().next_back().map(char::len_utf8);
                                self.cursor = Some(pos - back.unwrap_or(0));
                            }
                            None => backspace(out, floor),
                        }
                    }
                    0x00..=0x1f => self.flush_utf8(out, false),
                    _ => self.utf8.push(b),
                },
                Esc::Escape => {
                    self.esc = match b {
                        b'[' => Esc::Csi,
                        b']' | b'P' | b'X' | b'^' | b'_' => Esc::Osc,
                        0x20..=0x2f => Esc::Intermediate,
                        // Any other byte is the final byte of a two-byte sequence (ESC 7, ESC =, ...).
                        _ => Esc::Ground,
                    }
                }
                Esc::Intermediate => {
                    if !(0x20..=0x2f).contains(&b) {
                        self.esc = Esc::Ground;
                    }
                }
                Esc::Csi => {
                    if (0x40..=0x7e).contains(&b) {
                        self.esc = Esc::Ground;
                    }
                }
                Esc::Osc => match b {
                    0x07 => self.esc = Esc::Ground,
                    0x1b => self.esc = Esc::OscEscape,
                    _ => {}
                },
                Esc::OscEscape => {
                    self.esc = if b == b'\\' { Esc::Ground } else { Esc::Osc };
                }
            }
        }
        self.flush_utf8(out, true);
    }

    /// Ends the stream: a trailing incomplete UTF-8 sequence becomes U+FFFD.
    pub fn finish(&mut self, out: &mut String) {
        self.flush_utf8(out, false);
    }

    /// Writes `text` at the cursor: over what the line holds after a carriage return, else at
    /// the end.
    fn put(&mut self, out: &mut String, text: &str) {
        let Some(mut pos) = self.cursor else {
            out.push_str(text);
            return;
        };
        for (i, c) in text.char_indices() {
            match out[pos..].chars().next() {
                Some(old) => {
                    let mut buf = [0u8; 4];
                    out.replace_range(pos..pos + old.len_utf8(), c.encode_utf8(&mut buf));
                    pos += c.len_utf8();
                }
                None => {
                    out.push_str(&text[i..]);
                    self.cursor = None;
                    return;
                }
            }
        }
        self.cursor = (pos < out.len()).then_some(pos);
    }

    /// Decode buffered bytes into `out`; with `keep_incomplete`, a trailing partial UTF-8
    /// sequence stays buffered for the next chunk, otherwise it becomes U+FFFD.
    fn flush_utf8(&mut self, out: &mut String, keep_incomplete: bool) {
        // Decoded in place and cleared afterwards: the buffer keeps its capacity, so a
        // session does not allocate once per output line.
        let mut start = 0;
        while start < self.utf8.len() {
            // Taken out while decoding (`put` needs `self`), put back with its capacity.
            let utf8 = std::mem::take(&mut self.utf8);
            let rest = &utf8[start..];
            let outcome = match std::str::from_utf8(rest) {
                Ok(s) => {
                    self.put(out, s);
                    None
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // `rest[..valid]` is valid by construction; the fallback never triggers.
                    self.put(out, std::str::from_utf8(&rest[..valid]).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            self.put(out, "\u{FFFD}");
                            Some(start + valid + n)
                        }
                        None if keep_incomplete => {
                            self.utf8 = utf8;
                            self.utf8.drain(..start + valid);
                            return;
                        }
                        None => {
                            self.put(out, "\u{FFFD}");
                            None
                        }
                    }
                }
            };
            self.utf8 = utf8;
            match outcome {
                Some(next) => start = next,
                None => break,
            }
        }
        self.utf8.clear();
    }
}

fn backspace(out: &mut String, floor: usize) {
    if out.len() > floor && !out.ends_with('\n') {
        out.pop();
    }
}
