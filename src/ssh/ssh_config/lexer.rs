//! Splitting one ssh_config line the way OpenSSH does: `Keyword value`, `Keyword=value` or
//! `Keyword = value`; arguments split on blanks, `"..."` and `'...'` quoting, `\` escaping a
//! quote, backslash or blank; `#` starting an argument ends the line.

/// A non-empty, non-comment line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tokens {
    /// The keyword, lower case (keywords are case-insensitive).
    pub(super) keyword: String,
    /// Everything after the keyword and its separator, unsplit (ProxyCommand takes it whole).
    pub(super) rest: String,
    /// The arguments.
    pub(super) args: Vec<String>,
}

const BLANKS: &[char] = &[' ', '\t', '\r', '\n', '\x0c'];

/// Split a line; `Ok(None)` for blank and comment lines, `Err` with the reason otherwise.
pub(super) fn split_line(line: &str) -> Result<Option<Tokens>, String> {
    let line = line.trim_end_matches(BLANKS).trim_start_matches(BLANKS);
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let end = line
        .find(|c: char| BLANKS.contains(&c) || c == '=')
        .unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let mut rest = rest.trim_start_matches(BLANKS);
    // One `=` may separate keyword and value, with blanks on either side.
    if let Some(after) = rest.strip_prefix('=') {
        rest = after.trim_start_matches(BLANKS);
    }
    if keyword.is_empty() {
        return Err("a line must start with a keyword".into());
    }
    if rest.is_empty() {
        return Err(format!("no argument after keyword \"{keyword}\""));
    }
    let args = split_args(rest).ok_or("unterminated quote")?;
    Ok(Some(Tokens {
        keyword: keyword.to_ascii_lowercase(),
        rest: rest.to_string(),
        args,
    }))
}

/// Split arguments; `None` on an unterminated quote.
pub(super) fn split_args(text: &str) -> Option<Vec<String>> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        match chars.peek() {
            None | Some('#') => return Some(args),
            Some(_) => {}
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek().copied() {
                    Some(n @ ('\'' | '"' | '\\')) => {
                        arg.push(n);
                        chars.next();
                    }
                    Some(' ') if quote.is_none() => {
                        arg.push(' ');
                        chars.next();
                    }
                    _ => arg.push('\\'),
                },
                ' ' | '\t' if quote.is_none() => break,
                '"' | '\'' if quote.is_none() => quote = Some(c),
                c if Some(c) == quote => quote = None,
                c => arg.push(c),
            }
        }
        if quote.is_some() {
            return None;
        }
        args.push(arg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> (String, Vec<String>) {
        match split_line(line) {
            Ok(Some(t)) => (t.keyword, t.args),
            other => panic!("{line:?}: {other:?}"),
        }
    }

    #[test]
    fn separators_quotes_and_comments() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            split("HostName r1.lab"),
            ("hostname".into(), s(&["r1.lab"]))
        );
        assert_eq!(split("  PORT=2222"), ("port".into(), s(&["2222"])));
        assert_eq!(
            split("Port = 2222 # ssh on 2222"),
            ("port".into(), s(&["2222"]))
        );
        assert_eq!(split("Port\t=\t2222\r"), ("port".into(), s(&["2222"])));
        assert_eq!(
            split(r#"IdentityFile "~/my keys/id_ed25519" 'a b' c\ d e#f"#),
            (
                "identityfile".into(),
                s(&["~/my keys/id_ed25519", "a b", "c d", "e#f"])
            )
        );
        assert_eq!(split(r#"User "it\"s""#).1, s(&["it\"s"]));
        assert_eq!(split_line("   # just a comment"), Ok(None));
        assert_eq!(split_line(""), Ok(None));
        assert!(split_line("Port").is_err());
        assert!(split_line("Port =").is_err());
        assert!(split_line("User \"unterminated").is_err());
    }

    #[test]
    fn rest_keeps_the_raw_text() {
        match split_line("ProxyCommand=ssh -W '%h:%p' bastion") {
            Ok(Some(t)) => assert_eq!(t.rest, "ssh -W '%h:%p' bastion"),
            other => panic!("{other:?}"),
        }
    }
}
