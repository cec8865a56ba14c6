//! Reading a YAML file's text: only from a regular file, and with bytes that are not text
//! reported at their line and column.

use std::io;
use std::path::Path;

use super::YamlError;

/// Why a YAML file's text could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file is missing, is not a regular file, or reading it failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The bytes are not text: not UTF-8, or a control character; positioned at the byte at
    /// fault.
    #[error(transparent)]
    Text(#[from] YamlError),
}

/// Reads `path` as UTF-8 text. Anything but a regular file (a FIFO, a socket, a device, a
/// directory) is refused before it is opened: opening a FIFO blocks until someone writes to
/// it, and reading a device may never end. `what` finishes the message for bytes that are not
/// text ("task files are UTF-8 text").
pub fn read_text(path: &Path, what: &str) -> Result<String, ReadError> {
    let kind = |meta: &std::fs::Metadata| (!meta.is_file()).then(|| not_regular(meta));
    if let Some(kind) = kind(&std::fs::metadata(path)?) {
        return Err(ReadError::Io(kind));
    }
    let mut file = std::fs::File::open(path)?;
    // The path may have been replaced between the look and the open; the open file decides.
    if let Some(kind) = kind(&file.metadata()?) {
        return Err(ReadError::Io(kind));
    }
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut file, &mut bytes)?;
    Ok(decode(path, bytes, what)?)
}

/// What a file that is not a regular file is, as an error.
fn not_regular(meta: &std::fs::Metadata) -> io::Error {
    #[cfg(unix)]
    let kind = {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_fifo() {
            "a named pipe (FIFO)"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() {
            "a character device"
        } else if kind.is_block_device() {
            "a block device"
        } else if kind.is_dir() {
            "a directory"
        } else {
            "a special file"
        }
    };
    #[cfg(not(unix))]
    let kind = if meta.is_dir() {
        "a directory"
    } else {
        "a special file"
    };
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {kind}, not a regular file; netrun reads only regular files"),
    )
}

/// `bytes` as text, or an error at the first byte that is not UTF-8, or the first character
/// YAML does not allow (a NUL, another control character).
fn decode(path: &Path, bytes: Vec<u8>, what: &str) -> Result<String, YamlError> {
    let at = |bytes: &[u8], offset: usize, message: String| YamlError {
        path: path.to_path_buf(),
        position: Some(line_column(bytes, offset)),
        message,
    };
    let text = String::from_utf8(bytes).map_err(|err| {
        let offset = err.utf8_error().valid_up_to();
        let bytes = err.as_bytes();
        at(
            bytes,
            offset,
            match bytes.get(offset) {
                Some(byte) => {
                    format!("not valid UTF-8: byte 0x{byte:02x} at byte offset {offset}; {what}")
                }
                None => format!("not valid UTF-8 at byte offset {offset}; {what}"),
            },
        )
    })?;
    if let Some((offset, c)) = text.char_indices().find(|&(_, c)| !printable(c)) {
        let name = match c {
            '\0' => "NUL".to_string(),
            c => format!("U+{:04X}", u32::from(c)),
        };
        return Err(at(
            text.as_bytes(),
            offset,
            format!(
                "control character {name} at byte offset {offset}; YAML allows none but tab and line breaks"
            ),
        ));
    }
    Ok(text)
}

/// Whether YAML allows `c` in a file (its `c-printable` set). libyaml refuses the others with a
/// position it does not pass on, so they are found here first.
fn printable(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..)
}

/// The 1-based line and column of byte `offset`, counting columns in characters like
/// serde_yaml does; `bytes[..offset]` must be valid UTF-8 (the bytes before the fault are).
pub(super) fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}
