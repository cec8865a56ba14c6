use super::*;

fn full_match(pattern: &str, line: &str) -> bool {
    Regex::new(&format!("^(?:{pattern})$"))
        .map(|r| r.is_match(line))
        .unwrap_or(false)
}

#[test]
fn builtin_loads_and_has_all_platforms() {
    let p = Platforms::builtin();
    for name in ["ios", "nxos", "iosxr", "eos", "junos", "linux"] {
        assert_eq!(p.get(name).map(|x| x.name.as_str()), Some(name));
    }
}

#[test]
fn aliases_resolve_to_canonical_names() {
    let p = Platforms::builtin();
    let cases = [
        ("cisco_ios", "ios"),
        ("cisco_xe", "ios"),
        ("iosxe", "ios"),
        ("CISCO_IOS", "ios"),
        ("cisco_nxos", "nxos"),
        ("nxos_ssh", "nxos"),
        ("cisco_iosxr", "iosxr"),
        ("arista_eos", "eos"),
        ("juniper_junos", "junos"),
        ("juniper", "junos"),
        ("linux", "linux"),
    ];
    for (alias, canonical) in cases {
        assert_eq!(
            p.get(alias).map(|x| x.name.as_str()),
            Some(canonical),
            "{alias}"
        );
    }
    assert!(p.get("nokia_sros").is_none());
}

#[test]
fn ios_prompts_distinguish_modes() {
    let p = Platforms::builtin();
    let ios = p.get("ios").expect("ios");
    assert!(full_match(&ios.prompt.user, "R1>"));
    assert!(!full_match(&ios.prompt.user, "R1#"));
    let privileged = ios.prompt.privileged.as_deref().expect("priv");
    let config = ios.prompt.config.as_deref().expect("config");
    assert!(full_match(privileged, "core-sw1.lab#"));
    assert!(!full_match(privileged, "R1(config)#"));
    assert!(full_match(config, "R1(config)#"));
    assert!(full_match(config, "R1(config-if)#"));
    let xr = p.get("iosxr").expect("xr");
    assert!(full_match(&xr.any_prompt_pattern(), "RP/0/RSP0/CPU0:xr1#"));
    assert!(full_match(
        &xr.any_prompt_pattern(),
        "RP/0/RSP0/CPU0:xr1(config-if)#"
    ));
}

#[test]
fn junos_and_linux_prompts() {
    let p = Platforms::builtin();
    let junos = p.get("junos").expect("junos");
    assert!(full_match(&junos.prompt.user, "admin@vmx1>"));
    assert!(full_match(
        junos.prompt.config.as_deref().unwrap_or(""),
        "admin@vmx1#"
    ));
    assert_eq!(junos.on_open[0], "set cli screen-length 0");
    let linux = p.get("linux").expect("linux");
    assert_eq!(linux.default_mode, Mode::Exec);
    assert!(full_match(&linux.any_prompt_pattern(), "netrun@host:~$"));
    assert!(full_match(&linux.any_prompt_pattern(), "root@host:/etc#"));
}

#[test]
fn failure_markers_ignore_case() {
    assert!(contains_ignoring_case("% INVALID input", "% invalid"));
    assert!(contains_ignoring_case("x: Syntax Error", "syntax error"));
    assert!(!contains_ignoring_case("% Inval", "% invalid"));
    assert!(!contains_ignoring_case("", "x"));
    // Non-ASCII markers fall back to Unicode lowercasing.
    assert!(contains_ignoring_case("FEHLER: UNGÜLTIG", "ungültig"));
    assert!(contains_ignoring_case("Ünknown Befehl", "ünknown"));
}

#[test]
fn ios_details() {
    let p = Platforms::builtin();
    let ios = p.get("cisco_ios").expect("ios");
    assert_eq!(ios.on_open, vec!["terminal length 0", "terminal width 511"]);
    assert_eq!(
        ios.enable.as_ref().map(|e| e.command.as_str()),
        Some("enable")
    );
    assert_eq!(ios.default_mode, Mode::Shell);
    assert!(ios.failure_marker_in("% Invalid input detected at '^' marker."));
    assert!(!ios.failure_marker_in("Cisco IOS Software, Version 15.2"));
    let eos = p.get("eos").expect("eos");
    assert!(eos.failure_marker_in("% Error: foo"));
    let junos = p.get("junos").expect("junos");
    assert!(junos.failure_marker_in("syntax error, expecting <command>."));
    assert_eq!(
        junos.config.as_ref().map(|c| c.abort_commands().to_vec()),
        Some(vec![
            "rollback 0".to_string(),
            "exit configuration-mode".to_string()
        ])
    );
}

#[test]
fn pager_patterns_match_common_forms() {
    let p = Platforms::builtin();
    let ios = p.get("ios").expect("ios");
    let re = Regex::new(&ios.pager.patterns[0]).expect("re");
    for s in [" --More-- ", "--More--", "-- More --"] {
        assert!(re.is_match(s), "{s}");
    }
    let junos = p.get("junos").expect("junos");
    let re = Regex::new(&junos.pager.patterns[0]).expect("re");
    assert!(re.is_match("---(more)---"));
    assert!(re.is_match("---(more 45%)---"));
}

#[test]
fn override_patches_existing_platform_by_alias() {
    let mut p = Platforms::builtin();
    let v: serde_yaml::Value =
        serde_yaml::from_str("cisco_ios:\n  on_open: [terminal length 0]\n  aliases: [my_ios]\n")
            .expect("yaml");
    p.merge_overrides_value(v).expect("merge");
    let ios = p.get("my_ios").expect("alias added");
    assert_eq!(ios.name, "ios");
    assert_eq!(ios.on_open, vec!["terminal length 0"]);
    // Untouched fields survive.
    assert!(ios.enable.is_some());
}

#[test]
fn override_adds_derived_and_new_platforms() {
    let mut p = Platforms::builtin();
    let v: serde_yaml::Value = serde_yaml::from_str(
        "my_xe:\n  base: ios\n  failures: ['% Nope']\nmikrotik:\n  prompt: {user: '\\[[\\w@-]+\\] >'}\n",
    )
    .expect("yaml");
    p.merge_overrides_value(v).expect("merge");
    let xe = p.get("my_xe").expect("derived");
    assert_eq!(xe.on_open, vec!["terminal length 0", "terminal width 511"]);
    assert_eq!(xe.failures, vec!["% Nope"]);
    assert!(p.get("mikrotik").is_some());
    // The base keeps its aliases; the derived one does not steal them.
    assert_eq!(p.get("cisco_ios").map(|x| x.name.as_str()), Some("ios"));
}

#[test]
fn override_rejects_unknown_fields_bad_regex_and_incomplete() {
    let mut p = Platforms::builtin();
    let bad_field: serde_yaml::Value =
        serde_yaml::from_str("ios:\n  promt: {user: 'x'}\n").expect("yaml");
    assert!(matches!(
        p.merge_overrides_value(bad_field),
        Err(PlatformError::Parse(_))
    ));
    let bad_regex: serde_yaml::Value =
        serde_yaml::from_str("ios:\n  prompt: {user: '(unclosed'}\n").expect("yaml");
    assert!(matches!(
        p.merge_overrides_value(bad_regex),
        Err(PlatformError::Regex { .. })
    ));
    // All-or-nothing: the failed merge left ios alone.
    assert!(
        p.get("ios")
            .map(|x| x.prompt.user.contains('>'))
            .unwrap_or(false)
    );
    let incomplete: serde_yaml::Value =
        serde_yaml::from_str("newbox:\n  on_open: [x]\n").expect("yaml");
    assert!(matches!(
        p.merge_overrides_value(incomplete),
        Err(PlatformError::Incomplete(_))
    ));
    let unknown_base: serde_yaml::Value =
        serde_yaml::from_str("newbox:\n  base: nope\n").expect("yaml");
    assert!(matches!(
        p.merge_overrides_value(unknown_base),
        Err(PlatformError::UnknownBase { .. })
    ));
    let dup: serde_yaml::Value =
        serde_yaml::from_str("eos:\n  aliases: [cisco_ios]\n").expect("yaml");
    assert!(matches!(
        p.merge_overrides_value(dup),
        Err(PlatformError::DuplicateAlias { .. })
    ));
}

#[test]
fn canonical_names_of_aliases() {
    let p = Platforms::builtin();
    assert_eq!(p.canonical("cisco_ios"), Some("ios"));
    assert_eq!(p.canonical(" Cisco_IOS "), Some("ios"));
    assert_eq!(p.canonical("ios"), Some("ios"));
    assert_eq!(p.canonical("acme"), None);
}
