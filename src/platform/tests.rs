use super::*;

fn full_match(pattern: &str, line: &str) -> bool {
    Regex::new(&format!("^(?:{pattern})$"))
        .map(|r| r.is_match(line.trim_end()))
        .unwrap_or(false)
}

fn overrides(text: &str) -> Result<Overrides, serde_yaml::Error> {
    serde_yaml::from_str(text)
}

#[test]
fn every_builtin_platform_matches_its_examples() {
    let platforms = Platforms::builtin();
    assert!(
        platforms.get(GENERIC).is_some(),
        "a generic platform exists"
    );
    let mut problems = Vec::new();
    for p in platforms.all() {
        let ex = &p.def.examples;
        let modes = [
            ("user", Some(&p.prompt.user), &ex.user),
            ("privileged", p.prompt.privileged.as_ref(), &ex.privileged),
            ("config", p.prompt.config.as_ref(), &ex.config),
        ];
        for (mode, pattern, lines) in modes {
            for line in lines {
                match pattern {
                    Some(pattern) if full_match(&pattern.0, line) => {
                        // The exact prompt built from the line's own base matches it again.
                        let base = exact::capture_base(&pattern.0, line).unwrap_or_default();
                        let exact = exact::with_base(&pattern.0, &base).unwrap_or_default();
                        if !full_match(&exact, line) {
                            problems
                                .push(format!("{}: exact {mode} prompt misses {line:?}", p.name));
                        }
                    }
                    _ => problems.push(format!("{}: {mode} prompt misses {line:?}", p.name)),
                }
            }
        }
        for line in &ex.not_prompt {
            if p.prompt_patterns()
                .iter()
                .any(|pattern| full_match(pattern, line))
            {
                problems.push(format!("{}: a prompt matches {line:?}", p.name));
            }
        }
        for line in &ex.context {
            if !p.is_context_line(line) {
                problems.push(format!("{}: not a context line: {line:?}", p.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn aliases_resolve_to_canonical_names() {
    let p = Platforms::builtin();
    let cases = [
        ("cisco_ios", "ios"),
        ("cisco_xe", "ios"),
        ("CISCO_IOS", "ios"),
        ("cisco_nxos", "nxos"),
        ("cisco_xr_ssh", "iosxr"),
        ("arista_eos", "eos"),
        ("juniper_junos", "junos"),
        ("juniper_ssh", "junos"),
        ("linux", "linux"),
    ];
    for (alias, canonical) in cases {
        assert_eq!(p.canonical(alias), Some(canonical), "{alias}");
    }
    assert_eq!(p.canonical(" Cisco_IOS "), Some("ios"));
    assert_eq!(p.canonical("acme"), None);
}

#[test]
fn exact_prompts_follow_the_learned_name() {
    let p = Platforms::builtin();
    let ios = p.get("ios").expect("ios");
    assert_eq!(ios.base_of("edge01#"), Some("edge01".into()));
    let exact = ios.exact_prompts("edge01");
    assert!(full_match(&exact.any(), "edge01(config-if)#"));
    assert!(!full_match(&exact.any(), "edge12#"));
    let junos = p.get("junos").expect("junos");
    let exact = junos.exact_prompts("admin@vmx1");
    assert!(full_match(&exact.user, "admin@vmx1>"));
    assert!(full_match(
        exact.config.as_deref().unwrap_or(""),
        "admin@vmx1#"
    ));
    assert!(!full_match(&exact.any(), "admin@vmx2>"));
    assert!(junos.is_context_line("{master:0}"));
    let xr = p.get("iosxr").expect("iosxr");
    assert_eq!(
        xr.base_of("RP/0/RP0/CPU0:xr1(config)#"),
        Some("RP/0/RP0/CPU0:xr1".into())
    );
}

#[test]
fn failure_markers_are_case_insensitive_regexes() {
    let p = Platforms::builtin();
    let ios = p.get("ios").expect("ios");
    assert!(ios.failure_marker_in("% Invalid input detected at '^' marker."));
    assert!(ios.failure_marker_in("% INVALID INPUT detected"));
    assert!(!ios.failure_marker_in("Cisco IOS Software, Version 15.2"));
    assert!(
        !ios.failure_marker_in("log: % Invalid input detected"),
        "anchored"
    );
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
fn overrides_patch_derive_and_remove() {
    let base = Platforms::builtin();
    let ov = overrides(
        "cisco_ios:\n  on_open: [terminal length 0]\n  aliases: [my_ios]\nmy_xe:\n  base: ios\n  enable: null\n  failures: ['^% Nope']\nmikrotik2:\n  prompt: {user: '\\[(?P<base>[[:word:]@-]+)\\] >'}\n",
    )
    .expect("valid overrides");
    let p = base.with_overrides(&ov, "netrun.yaml").expect("merge");
    let ios = p.get("my_ios").expect("alias added");
    assert_eq!(ios.name, "ios");
    assert_eq!(ios.source, "netrun.yaml");
    assert_eq!(ios.on_open, vec!["terminal length 0"]);
    assert!(ios.enable.is_some(), "untouched fields survive");
    let xe = p.get("my_xe").expect("derived");
    assert!(xe.enable.is_none(), "null removes the base's enable");
    assert!(xe.config.is_some());
    assert!(xe.failure_marker_in("% nope"));
    assert_eq!(p.get("cisco_ios").map(|x| x.name.as_str()), Some("ios"));
    assert!(p.get("mikrotik2").is_some());
    // The built-in table is unchanged.
    assert!(base.get("my_ios").is_none());
}

#[test]
fn override_mistakes_are_positioned() {
    let err = |text: &str| {
        let e = overrides(text).expect_err("rejected");
        let loc = e.location().map(|l| (l.line(), l.column()));
        (e.to_string(), loc)
    };
    let (msg, loc) = err("ios:\n  promt: {user: x}\n");
    assert!(msg.contains("unknown field `promt`"), "{msg}");
    assert_eq!(loc.map(|l| l.0), Some(2));
    let (msg, loc) = err("ios:\n  prompt:\n    user: '(unclosed'\n");
    assert!(msg.contains("is not a valid regex"), "{msg}");
    assert_eq!(loc.map(|l| l.0), Some(3));
    let (msg, _) = err("ios:\n  prompt: {user: 'no-group>'}\n");
    assert!(msg.contains("no `(?P<base>...)` group"), "{msg}");
    let (msg, loc) = err("newbox:\n  on_open: [x]\n");
    assert!(msg.contains("new platform `newbox` needs"), "{msg}");
    assert_eq!(loc.map(|l| l.0), Some(2));
    let (msg, _) = err("newbox:\n  base: nope\n");
    assert!(msg.contains("base platform `nope` is unknown"), "{msg}");
    let (msg, _) = err("eos:\n  aliases: [cisco_ios]\n");
    assert!(
        msg.contains("alias `cisco_ios` already names a platform"),
        "{msg}"
    );
    let (msg, _) = err("ios:\n  failures: ['(bad']\n");
    assert!(msg.contains("is not a valid regex"), "{msg}");
}

/// Every prompt example of a platform, with its mode.
#[test]
fn aliases_cover_netmiko_device_types() {
    let p = Platforms::builtin();
    let cases = [
        ("brocade_fastiron", "ruckus_fastiron"),
        ("alcatel_sros", "nokia_sros"),
        ("huawei", "huawei_vrp"),
        ("h3c_comware", "hp_comware"),
        ("extreme_ers", "avaya_ers"),
        ("avaya_vsp", "extreme_vsp"),
        ("vyatta_vyos", "vyos"),
        ("ubiquiti_edgeswitch", "ubiquiti_edge"),
        ("dell_os9", "dell_force10"),
        ("aruba_osswitch", "hp_procurve"),
        ("f5_ltm", "f5_tmsh"),
        ("ekinops_ek360", "oneaccess_oneos"),
        ("edgecore_sonic", "linux"),
        ("mikrotik_switchos", "mikrotik_routeros"),
    ];
    for (alias, canonical) in cases {
        assert_eq!(p.canonical(alias), Some(canonical), "{alias}");
    }
}
