//! Per-host files (`--save-dir`, `--session-log`): names that cannot leave their directory.

/// The file name for `host`'s saved output or session log: `HOST.EXT`, with `/`, `\`, `%`,
/// control characters and a leading `.` percent-encoded, so that an inventory name cannot
/// point outside the directory (`../x`, `/etc/x`) and two names never share a file.
pub fn host_file_name(host: &str, ext: &str) -> String {
    let mut name = String::with_capacity(host.len() + ext.len() + 1);
    for (i, c) in host.chars().enumerate() {
        let escape = matches!(c, '/' | '\\' | '%') || c.is_control() || (i == 0 && c == '.');
        if escape {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                name.push_str(&format!("%{b:02X}"));
            }
        } else {
            name.push(c);
        }
    }
    if name.is_empty() {
        name.push('%');
    }
    name.push('.');
    name.push_str(ext);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_file_names_stay_in_their_directory_and_never_collide() {
        assert_eq!(host_file_name("edge01.earth", "txt"), "edge01.earth.txt");
        assert_eq!(host_file_name("../escaped", "txt"), "%2E.%2Fescaped.txt");
        assert_eq!(host_file_name("/tmp/abs", "log"), "%2Ftmp%2Fabs.log");
        assert_eq!(host_file_name("sub/r1", "txt"), "sub%2Fr1.txt");
        assert_eq!(host_file_name("a\\b\ncé", "txt"), "a%5Cb%0Acé.txt");
        // `%` itself is encoded, so `a/b` and a host literally named `a%2Fb` differ.
        assert_eq!(host_file_name("a%2Fb", "txt"), "a%252Fb.txt");
        assert_ne!(host_file_name("a/b", "txt"), host_file_name("a%2Fb", "txt"));
    }
}
