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

/// Adds the scalar values under secret-named keys of `value`, at any depth, to `out`.
pub fn collect_secret_values(key: &str, value: &serde_yaml::Value, out: &mut Vec<String>) {
    use serde_yaml::Value;
    let secret = is_secret_key(key);
    match value {
        Value::String(s) if secret && !s.is_empty() => out.push(s.clone()),
        Value::Number(n) if secret => out.push(n.to_string()),
        Value::Sequence(items) => items
            .iter()
            .for_each(|v| collect_secret_values(key, v, out)),
        Value::Mapping(map) => {
            for (k, v) in map {
                // Everything under a secret key is secret; elsewhere, the inner key decides.
                let inner = if secret {
                    key
                } else {
                    k.as_str().unwrap_or_default()
                };
                collect_secret_values(inner, v, out);
            }
        }
        Value::Tagged(tagged) => collect_secret_values(key, &tagged.value, out),
        _ => {}
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
        assert!(is_secret_key("Enable_Secret"));
        assert!(!is_secret_key("site"));
    }
}
