//! Exact prompts. A platform's prompt regexes are generic (any host name); once a session has
//! shown its first prompt, netrun knows the device's name and accepts only prompts with that
//! name, so an output line like `edge12#` inside `show cdp neighbors` of `edge01` never ends a
//! command. The name is what the `(?P<base>...)` group of the prompt regex captured.

use std::ops::Range;

/// Devices cut long names in some modes (IOS in configuration mode, IOS-XR at 31 characters):
/// a base longer than this also matches its own prefixes of at least this many characters.
pub const TRUNCATE_AT: usize = 15;

/// Byte range of the `(?P<base>...)` group in `pattern`, parentheses included.
pub fn base_group(pattern: &str) -> Option<Range<usize>> {
    const OPEN: &str = "(?P<base>";
    let start = pattern.find(OPEN)?;
    let bytes = pattern.as_bytes();
    let mut i = start + OPEN.len();
    let mut depth = 1usize;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' => i = skip_class(bytes, i)?,
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Some(start..i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The index just after the character class that starts at `start` (`[` ... `]`), with
/// POSIX classes (`[:word:]`) and nested classes inside it.
fn skip_class(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if bytes.get(i) == Some(&b'^') {
        i += 1;
    }
    // A `]` right after the opening bracket is a literal.
    if bytes.get(i) == Some(&b']') {
        i += 1;
    }
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' if bytes.get(i + 1) == Some(&b':') => {
                let end = bytes[i + 2..].windows(2).position(|w| w == b":]")?;
                i += 2 + end + 2;
            }
            b'[' => i = skip_class(bytes, i)?,
            b']' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// `pattern` with its base group replaced by the literal `base`; `None` when the pattern has
/// no base group.
pub fn with_base(pattern: &str, base: &str) -> Option<String> {
    let group = base_group(pattern)?;
    let chars: Vec<char> = base.chars().collect();
    let literal = if chars.len() > TRUNCATE_AT {
        // The whole name, or a cut-off name of at least TRUNCATE_AT characters.
        let head: String = chars[..TRUNCATE_AT].iter().collect();
        let rest: String = chars[TRUNCATE_AT..].iter().collect();
        let mut optional = String::new();
        for c in rest.chars().rev() {
            optional = format!("(?:{}{optional})?", regex::escape(&c.to_string()));
        }
        format!("(?:{}{optional})", regex::escape(&head))
    } else {
        regex::escape(base)
    };
    Some(format!(
        "{}{literal}{}",
        &pattern[..group.start],
        &pattern[group.end..]
    ))
}

/// The name a prompt line shows: what the base group of `pattern` captures when the whole
/// line matches it.
pub fn capture_base(pattern: &str, line: &str) -> Option<String> {
    let re = regex::Regex::new(&format!("^(?:{pattern})$")).ok()?;
    re.captures(line.trim_end())
        .and_then(|c| c.name("base"))
        .map(|m| m.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_group_is_found_through_classes_and_groups() {
        let p = r"(?P<base>[[:word:].\-@/:]+)\([[:word:].\-@/:+]+\)#";
        assert_eq!(&p[base_group(p).unwrap()], r"(?P<base>[[:word:].\-@/:]+)");
        let p = r"RP/\d+/(?:RS?P)?\d+/CPU\d+:(?P<base>(?:[a-z]|\))+[\])]?)#";
        assert_eq!(&p[base_group(p).unwrap()], r"(?P<base>(?:[a-z]|\))+[\])]?)");
        assert_eq!(base_group("no base here>"), None);
    }

    #[test]
    fn exact_prompts_accept_only_this_device() {
        let exact = |pattern: &str, base: &str| {
            regex::Regex::new(&format!("^(?:{})$", with_base(pattern, base).unwrap())).unwrap()
        };
        let ios = exact(r"(?P<base>[[:word:].\-@/:]+)#", "edge01");
        assert!(ios.is_match("edge01#"));
        assert!(!ios.is_match("edge12#") && !ios.is_match("edge01x#"));
        let config = exact(r"(?P<base>[[:word:].\-@/:]+)\([^)]+\)#", "r1.lab");
        assert!(config.is_match("r1.lab(config-if)#"));
        assert!(!config.is_match("r1xlab(config)#"), "dots are literal");
        let long = exact(
            r"(?P<base>[[:word:].\-@/:]+)\([^)]+\)#",
            "very-long-hostname-01",
        );
        assert!(long.is_match("very-long-hostname-01(config)#"));
        assert!(long.is_match("very-long-hostn(config)#"));
        assert!(long.is_match("very-long-hostna(config)#"));
        assert!(!long.is_match("very-long-host(config)#"));
        assert_eq!(
            capture_base(r"<(?P<base>[[:word:].\-]+)>", "<HUAWEI>  "),
            Some("HUAWEI".into())
        );
    }
}
