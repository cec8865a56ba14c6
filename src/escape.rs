//! Control characters made visible. Host names, data values, device output and plugin messages
//! are untrusted text: written raw to a terminal they could set its title, clear the screen or
//! split a table row. Everything netrun prints for people goes through here.

use std::borrow::Cow;

/// Whether `c` is a C0 or C1 control character (or DEL).
fn is_control(c: char) -> bool {
    c.is_control()
}

fn push_escaped(c: char, out: &mut String) {
    match c {
        '\x1b' => out.push_str("\\e"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\0' => out.push_str("\\0"),
        c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

fn escape_where<'a>(text: &'a str, escape: impl Fn(char) -> bool) -> Cow<'a, str> {
    if !text.chars().any(&escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escape(c) {
            push_escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` on one line: every control character, line breaks included, as an escape (`\e`,
/// `\r`, `\n`, `\x0b`, `\u{9b}`).
pub fn one_line(text: &str) -> Cow<'_, str> {
    escape_where(text, is_control)
}

/// `text` keeping its lines and tabs: every other control character as an escape.
pub fn lines(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| is_control(c) && c != '\n' && c != '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_and_plain_text_is_untouched() {
        assert!(matches!(one_line("edge01.earth"), Cow::Borrowed(_)));
        assert_eq!(one_line("r1\x1b]0;pwned\x07"), "r1\\e]0;pwned\\a");
        assert_eq!(one_line("a\rb\nc\td"), "a\\rb\\nc\\td");
        assert_eq!(one_line("x\u{9b}2J\x7f\x0b"), "x\\u{9b}2J\\x7f\\x0b");
        assert_eq!(lines("line 1\n\tline 2\x1b[2J"), "line 1\n\tline 2\\e[2J");
        assert_eq!(one_line("Ünïcødé → ok"), "Ünïcødé → ok");
    }
}
