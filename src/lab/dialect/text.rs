//! `{name}` templates for prompts, error texts and sub-mode names: parsed once when the dialect
//! loads, filled on every prompt by plain string pushes (the IOS bench path prints thousands of
//! prompts a second; a full template engine there would be waste).

/// A placeholder a dialect text may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Var {
    /// The device's current host name.
    Hostname,
    /// The login user.
    Username,
    /// The name of the innermost configuration sub-mode (`config-if`, `GigabitEthernet0/0/1`).
    Submode,
    /// The `edit` path of set-style configuration, with a leading space (` interfaces ge-0/0/0`).
    Path,
    /// `*` while the candidate configuration differs from the running one.
    Dirty,
    /// The number of the next command of the session (EXOS prompts count commands).
    Counter,
    /// `*` while the running configuration has changes not saved yet (SAOS), else nothing.
    Star,
    /// `* ` while the running configuration has unsaved changes (EXOS), else nothing.
    StarSpace,
    /// The host var `prompt_context` (Junos `master:0`) in braces, or nothing.
    Ctx,
    /// The same followed by a line break, or nothing.
    CtxLine,
    /// Spaces up to the offending word, then `^`.
    Caret,
    /// Spaces up to the offending word, then one `^` per character of it.
    Carets,
    /// The offending word.
    Word,
    /// The whole command line.
    Line,
    /// 1-based column of the offending word in the line.
    Column,
    /// Sub-mode names: the words after the sub-mode's keywords, quotes removed.
    Args,
    /// The same without spaces.
    ArgsNospace,
    /// The same with spaces turned into `-`.
    ArgsDash,
    /// The first word of the arguments.
    First,
    /// The last word of the line.
    Last,
    /// The arguments with the interface type cut to two letters (`Ethernet1` → `Et1`).
    Short,
}

const NAMES: &[(&str, Var)] = &[
    ("hostname", Var::Hostname),
    ("username", Var::Username),
    ("submode", Var::Submode),
    ("path", Var::Path),
    ("dirty", Var::Dirty),
    ("n", Var::Counter),
    ("star", Var::Star),
    ("star_space", Var::StarSpace),
    ("ctx", Var::Ctx),
    ("ctx_line", Var::CtxLine),
    ("caret", Var::Caret),
    ("carets", Var::Carets),
    ("word", Var::Word),
    ("line", Var::Line),
    ("column", Var::Column),
    ("args", Var::Args),
    ("args_nospace", Var::ArgsNospace),
    ("args_dash", Var::ArgsDash),
    ("first", Var::First),
    ("last", Var::Last),
    ("short", Var::Short),
];

/// Which placeholders a kind of text may use.
pub(crate) const PROMPT_VARS: &[Var] = &[
    Var::Hostname,
    Var::Username,
    Var::Submode,
    Var::Path,
    Var::Dirty,
    Var::Counter,
    Var::Star,
    Var::StarSpace,
    Var::Ctx,
    Var::CtxLine,
];
/// Placeholders of error texts.
pub(crate) const ERROR_VARS: &[Var] = &[
    Var::Caret,
    Var::Carets,
    Var::Word,
    Var::Line,
    Var::Column,
    Var::Hostname,
    Var::Username,
];
/// Placeholders of sub-mode names.
pub(crate) const NAME_VARS: &[Var] = &[
    Var::Args,
    Var::ArgsNospace,
    Var::ArgsDash,
    Var::First,
    Var::Last,
    Var::Short,
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Lit(String),
    Var(Var),
}

/// A parsed text: literal pieces and placeholders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Text {
    pieces: Vec<Piece>,
}

impl Text {
    /// Parses `source`; `{{` and `}}` are literal braces. With `crlf`, line breaks become CRLF
    /// (prompts go to the terminal as they are; other texts are split into lines later).
    pub(crate) fn parse(source: &str, allowed: &[Var], crlf: bool) -> Result<Text, String> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut rest = source;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("{{") || rest.starts_with("}}") {
                lit.push(c);
                rest = &rest[2..];
                continue;
            }
            if c == '{' {
                let end = rest
                    .find('}')
                    .ok_or_else(|| format!("unclosed `{{` in {source:?}"))?;
                let name = &rest[1..end];
                let var = NAMES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| *v)
                    .filter(|v| allowed.contains(v))
                    .ok_or_else(|| format!("unknown placeholder {{{name}}} in {source:?}"))?;
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                pieces.push(Piece::Var(var));
                rest = &rest[end + 1..];
                continue;
            }
            if c == '\n' && crlf && !lit.ends_with('\r') {
                lit.push('\r');
            }
            lit.push(c);
            rest = &rest[c.len_utf8()..];
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Ok(Text { pieces })
    }

    /// Appends the text to `out`, asking `fill` for each placeholder.
    pub(crate) fn render_into(&self, out: &mut String, mut fill: impl FnMut(Var, &mut String)) {
        for piece in &self.pieces {
            match piece {
                Piece::Lit(s) => out.push_str(s),
                Piece::Var(v) => fill(*v, out),
            }
        }
    }

    /// The text as a new string.
    pub(crate) fn render(&self, fill: impl FnMut(Var, &mut String)) -> String {
        let mut out = String::new();
        self.render_into(&mut out, fill);
        out
    }

    #[cfg(test)]
    /// Whether the text uses `var`.
    pub(crate) fn uses(&self, var: Var) -> bool {
        self.pieces.contains(&Piece::Var(var))
    }
}

/// Fills the sub-mode name placeholders from the arguments of a sub-mode line.
pub(crate) fn fill_name(var: Var, args: &str, line: &str, out: &mut String) {
    let unquoted = args.replace('"', "");
    match var {
        Var::Args => out.push_str(&unquoted),
        Var::ArgsNospace => out.extend(unquoted.split_whitespace()),
        Var::ArgsDash => out.push_str(&unquoted.split_whitespace().collect::<Vec<_>>().join("-")),
        Var::First => out.push_str(unquoted.split_whitespace().next().unwrap_or("")),
        Var::Last => out.push_str(
            &line
                .split_whitespace()
                .last()
                .unwrap_or("")
                .replace('"', ""),
        ),
        Var::Short => {
            // `Ethernet1/2` → `Et1/2`, `Port-Channel10` → `Po10`: two letters, then the number.
            let at = unquoted
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(unquoted.len());
            out.extend(
                unquoted[..at]
                    .chars()
                    .filter(|c| c.is_ascii_alphabetic())
                    .take(2),
            );
            out.push_str(&unquoted[at..]);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_placeholders_escapes_and_line_breaks() {
        let t = Text::parse("[edit{path}]\n{username}@{hostname}# ", PROMPT_VARS, true)
            .expect("parses");
        let out = t.render(|v, out| match v {
            Var::Path => out.push_str(" system"),
            Var::Username => out.push_str("admin"),
            Var::Hostname => out.push_str("mx1"),
            _ => {}
        });
        assert_eq!(out, "[edit system]\r\nadmin@mx1# ");
        assert!(t.uses(Var::Path));
        let t = Text::parse("{{master}} {word}", ERROR_VARS, false).expect("parses");
        assert_eq!(t.render(|_, out| out.push('x')), "{master} x");
        assert!(Text::parse("{bogus}", PROMPT_VARS, false).is_err());
        assert!(Text::parse("{caret}", PROMPT_VARS, false).is_err());
        assert!(Text::parse("{hostname", PROMPT_VARS, false).is_err());
    }

    #[test]
    fn sub_mode_names() {
        let name = |var, args: &str| {
            let mut out = String::new();
            fill_name(var, args, &format!("interface {args}"), &mut out);
            out
        };
        assert_eq!(name(Var::Short, "Ethernet1/2"), "Et1/2");
        assert_eq!(name(Var::Short, "Port-Channel10"), "Po10");
        assert_eq!(name(Var::ArgsDash, "gpon 0/1"), "gpon-0/1");
        assert_eq!(name(Var::ArgsNospace, "vty 0 4"), "vty04");
        assert_eq!(name(Var::Last, "\"port1\""), "port1");
    }
}
