//! What counts as a secret, and how it is shown: the one rule every output and file follows
//! (README "Secrets"). The exact values of a host's secrets — passwords, enable secrets, key
//! passphrases, secret-named data keys and extras — become `***` wherever netrun writes them,
//! unless the user asks otherwise with `--show-secrets`.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};

/// The text shown in place of a secret.
pub const REDACTED: &str = "***";

/// Whether a key names a secret whose value must never be printed.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "passphrase",
        "token",
        "api_key",
        "apikey",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// Adds the scalar values under secret-named keys of `value`, at any depth, to `out`, in
/// document order. A worklist rather than recursion, so no nesting can exhaust the stack.
pub fn collect_secret_values(key: &str, value: &serde_yaml::Value, out: &mut Vec<String>) {
    use serde_yaml::Value;
    // Each entry: the key that decides, and the value under it; the next one to look at last.
    let mut pending = vec![(key, value)];
    while let Some((key, value)) = pending.pop() {
        let secret = is_secret_key(key);
        match value {
            Value::String(s) if secret && !s.is_empty() => out.push(s.clone()),
            Value::Number(n) if secret => out.push(n.to_string()),
            Value::Sequence(items) => pending.extend(items.iter().rev().map(|v| (key, v))),
            Value::Mapping(map) => {
                let entries: Vec<(&str, &Value)> = map
                    .iter()
                    .map(|(k, v)| {
                        // Everything under a secret key is secret; elsewhere, the inner key
                        // decides.
                        let inner = if secret {
                            key
                        } else {
                            k.as_str().unwrap_or_default()
                        };
                        (inner, v)
                    })
                    .collect();
                pending.extend(entries.into_iter().rev());
            }
            Value::Tagged(tagged) => pending.push((key, &tagged.value)),
            _ => {}
        }
    }
}

/// Secrets shorter than this are not replaced: a value like `p` occurs in every word, so
/// replacing it would garble all output while hiding nothing a guess would not find.
pub const MIN_SECRET_LEN: usize = 4;

/// Replaces the exact values of a set of secrets by [`REDACTED`] in text.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// `None` when there is nothing to hide.
    matcher: Option<AhoCorasick>,
}

impl Redactor {
    /// A redactor for `secrets`; values shorter than [`MIN_SECRET_LEN`] characters are
    /// ignored.
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Redactor {
        let needles: Vec<&str> = secrets
            .iter()
            .map(AsRef::as_ref)
            .filter(|s| s.chars().count() >= MIN_SECRET_LEN)
            .collect();
        if needles.is_empty() {
            return Redactor::default();
        }
        // Leftmost-longest: of two secrets where one contains the other, the whole one goes.
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&needles)
            .ok();
        Redactor { matcher }
    }

    /// Whether there is anything to hide.
    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// `text` with every secret replaced; borrowed when there was none in it.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match &self.matcher {
            Some(matcher) if matcher.is_match(text) => {
                let mut out = String::with_capacity(text.len());
                matcher.replace_all_with(text, &mut out, |_, _, out| {
                    out.push_str(REDACTED);
                    true
                });
                Cow::Owned(out)
            }
            _ => Cow::Borrowed(text),
        }
    }

    /// Replaces secrets in `text` in place (no new allocation when there are none).
    pub fn redact_in_place(&self, text: &mut String) {
        if let Cow::Owned(redacted) = self.redact(text) {
            *text = redacted;
        }
    }

    /// Replaces secrets in every string of a JSON value, keys included.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        if self.is_empty() {
            return;
        }
        // A worklist rather than recursion: device data can nest deeply.
        let mut pending = vec![value];
        while let Some(value) = pending.pop() {
            match value {
                serde_json::Value::String(text) => self.redact_in_place(text),
                serde_json::Value::Array(items) => pending.extend(items.iter_mut()),
                serde_json::Value::Object(map) => {
                    let renamed: Vec<(String, String)> = map
                        .keys()
                        .filter_map(|k| match self.redact(k) {
                            Cow::Owned(new) => Some((k.clone(), new)),
                            Cow::Borrowed(_) => None,
                        })
                        .collect();
                    for (old, new) in renamed {
                        if let Some(v) = map.remove(&old) {
                            map.insert(new, v);
                        }
                    }
                    pending.extend(map.values_mut());
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_found_at_any_depth() {
        let data: serde_yaml::Value = serde_yaml::from_str(
            "snmp: {community: public, auth_password: p1}\napi_token: {a: t1, b: [t2, 3]}\nsite: earth\n",
        )
        .expect("yaml");
        let mut out = Vec::new();
        for (key, value) in data.as_mapping().expect("map") {
            collect_secret_values(key.as_str().unwrap_or_default(), value, &mut out);
        }
        assert_eq!(out, ["p1", "t1", "t2", "3"]);
        // Nesting deeper than any parser allows is no problem for the walk.
        let mut deep = serde_yaml::Value::String("s3cret".into());
        for _ in 0..200_000 {
            deep = serde_yaml::Value::Sequence(vec![deep]);
        }
        let mut out = Vec::new();
        collect_secret_values("password", &deep, &mut out);
        assert_eq!(out, ["s3cret"]);
        // serde_yaml's Value drops recursively: take it apart level by level instead.
        while let serde_yaml::Value::Sequence(mut items) = deep {
            deep = items.pop().unwrap_or_default();
        }
        assert!(is_secret_key("Enable_Secret"));
        assert!(!is_secret_key("site"));
    }

    #[test]
    fn every_exact_value_is_replaced_and_nothing_else() {
        let redactor = Redactor::new(&["s3cr3t", "s3cr3t-longer", "", "abc"]);
        assert_eq!(
            redactor.redact("a s3cr3t, a s3cr3t-longer and s3cr3 abc"),
            "a ***, a *** and s3cr3 abc"
        );
        assert!(matches!(redactor.redact("nothing here"), Cow::Borrowed(_)));
        let mut json = serde_json::json!({"out": ["x s3cr3t"], "s3cr3t": {"n": 1}});
        redactor.redact_json(&mut json);
        assert_eq!(json, serde_json::json!({"out": ["x ***"], "***": {"n": 1}}));
        assert!(Redactor::new::<&str>(&[]).is_empty());
    }
}
