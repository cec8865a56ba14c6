//! What counts as a secret, and how it is shown: the one rule every output and file follows
//! (README "Secrets").

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
}
