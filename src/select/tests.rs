use super::*;

fn load(hosts: &str, groups: &str) -> Arc<Inventory> {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("netrun-filter-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hosts.yaml"), hosts).unwrap();
    std::fs::write(dir.join("groups.yaml"), groups).unwrap();
    let inv = Inventory::load(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    Arc::new(inv)
}

const HOSTS: &str = "
r1: {platform: ios, port: 22, groups: [edge], data: {site: earth, cpu: 10, facts: {os: ios}, tags: [a, b]}}
r2: {platform: eos, port: 2222, groups: [spine], data: {site: mars, cpu: 75.5}}
r3: {platform: junos, groups: [leaf], data: {site: earth, cpu: null}}
srv1: {platform: linux, data: {enabled: true}}
";
const GROUPS: &str = "edge: {groups: [core]}\nspine: {groups: [core]}\nleaf: {}\ncore: {}\n";

fn pick(
    filters: &[&str],
    where_expr: Option<&str>,
    hosts: &[&str],
) -> Result<Vec<String>, SelectError> {
    let inv = load(HOSTS, GROUPS);
    let filters: Vec<String> = filters.iter().map(|s| s.to_string()).collect();
    let hosts: Vec<String> = hosts.iter().map(|s| s.to_string()).collect();
    let selector = Selector::new(&filters, where_expr, &hosts)?;
    let env = crate::template::environment(None);
    let indices = selector.select(&inv, &env)?;
    Ok(names(&inv, &indices))
}

#[test]
fn equality_and_any_of() {
    assert_eq!(pick(&["site=earth"], None, &[]).unwrap(), ["r1", "r3"]);
    assert_eq!(
        pick(&["platform=eos,junos"], None, &[]).unwrap(),
        ["r2", "r3"]
    );
    assert_eq!(pick(&["name=r2"], None, &[]).unwrap(), ["r2"]);
    assert_eq!(pick(&["port=2222"], None, &[]).unwrap(), ["r2"]);
    assert_eq!(pick(&["enabled=true"], None, &[]).unwrap(), ["srv1"]);
}

#[test]
fn not_equal_is_the_exact_negation() {
    assert_eq!(pick(&["site!=earth"], None, &[]).unwrap(), ["r2", "srv1"]);
    assert_eq!(pick(&["groups!=core"], None, &[]).unwrap(), ["r3", "srv1"]);
}

#[test]
fn groups_are_inherited() {
    assert_eq!(pick(&["groups=core"], None, &[]).unwrap(), ["r1", "r2"]);
    // Direct membership only, as nornir's `groups__contains`.
    assert!(matches!(
        pick(&["direct_groups=core"], None, &[]),
        Err(SelectError::NoMatch { .. })
    ));
    assert_eq!(pick(&["direct_groups=edge"], None, &[]).unwrap(), ["r1"]);
    assert_eq!(
        pick(&[], Some("'spine' in direct_groups"), &[]).unwrap(),
        ["r2"]
    );
    assert_eq!(pick(&["groups~^sp"], None, &[]).unwrap(), ["r2"]);
}

#[test]
fn regex_dotted_and_lists() {
    assert_eq!(pick(&["site~^ea"], None, &[]).unwrap(), ["r1", "r3"]);
    assert_eq!(pick(&["facts.os=ios"], None, &[]).unwrap(), ["r1"]);
    assert_eq!(pick(&["tags=b"], None, &[]).unwrap(), ["r1"]);
}

#[test]
fn numeric_operators() {
    assert_eq!(pick(&["cpu>10"], None, &[]).unwrap(), ["r2"]);
    assert_eq!(pick(&["cpu>=10"], None, &[]).unwrap(), ["r1", "r2"]);
    assert_eq!(pick(&["cpu<75.5"], None, &[]).unwrap(), ["r1"]);
    assert_eq!(pick(&["cpu<=75.5"], None, &[]).unwrap(), ["r1", "r2"]);
    assert_eq!(pick(&["port>22"], None, &[]).unwrap(), ["r2"]);
    assert!(matches!(
        pick(&["cpu>lots"], None, &[]),
        Err(SelectError::BadFilter { .. })
    ));
}

#[test]
fn all_filters_must_hold() {
    assert_eq!(
        pick(&["site=earth", "platform=ios"], None, &[]).unwrap(),
        ["r1"]
    );
}

#[test]
fn bad_filters() {
    for bad in ["site", "=x", "a..b=1", "site~(", "password=x"] {
        assert!(
            matches!(pick(&[bad], None, &[]), Err(SelectError::BadFilter { .. })),
            "{bad}"
        );
    }
}

#[test]
fn where_has_a_true_not() {
    assert_eq!(
        pick(&[], Some("not (site == 'earth' or platform == 'eos')"), &[]).unwrap(),
        ["srv1"]
    );
    assert_eq!(
        pick(&[], Some("'core' in groups and cpu > 50"), &[]).unwrap(),
        ["r2"]
    );
    // A key some host has reads as none elsewhere; a key no host has is a typo.
    assert!(matches!(
        pick(&[], Some("stie == 'earth'"), &[]),
        Err(SelectError::WhereFailed { .. })
    ));
    assert!(matches!(
        pick(&[], Some("site =="), &[]),
        Err(SelectError::BadWhere { .. })
    ));
}

#[test]
fn hosts_names_globs_and_files() {
    assert_eq!(pick(&[], None, &["r*"]).unwrap(), ["r1", "r2", "r3"]);
    assert_eq!(pick(&[], None, &["srv1,r2"]).unwrap(), ["r2", "srv1"]);
    assert_eq!(pick(&[], None, &["r[13]"]).unwrap(), ["r1", "r3"]);
    assert!(matches!(
        pick(&[], None, &["nope"]),
        Err(SelectError::UnknownHost { .. })
    ));
    let file = std::env::temp_dir().join(format!("netrun-hosts-{}", std::process::id()));
    std::fs::write(&file, "# failed last time\nr3\n\nr1\n").unwrap();
    let arg = format!("@{}", file.display());
    assert_eq!(pick(&[], None, &[&arg]).unwrap(), ["r1", "r3"]);
    std::fs::write(&file, "r1\nghost\n").unwrap();
    let err = pick(&[], None, &[&arg]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("unknown host `ghost` ({}:2)", file.display())
    );
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn hosts_file_lines_are_exact_names_before_globs_or_comments() {
    // `--save-failed` writes names verbatim; a name with glob or comment characters must
    // come back as itself, not as the hosts its glob matches, and not as a comment.
    let inv = load("\"r[1]\": {}\nr1: {}\n\"#x\": {}\nr2: {}\n", "");
    let env = crate::template::environment(None);
    let file = std::env::temp_dir().join(format!("netrun-exact-{}", std::process::id()));
    let select = |text: &str| {
        std::fs::write(&file, text).unwrap();
        let hosts = [format!("@{}", file.display())];
        let selector = Selector::new(&[], None, &hosts).unwrap();
        selector.select(&inv, &env).map(|i| names(&inv, &i))
    };
    assert_eq!(select("r[1]\n").unwrap(), ["r[1]"]);
    assert_eq!(select("#x\n").unwrap(), ["#x"]);
    // Not a host name: still a comment, and still a glob.
    assert_eq!(select("# r1\n#r1\nr2\n").unwrap(), ["r2"]);
    assert_eq!(select("r[2]\n").unwrap(), ["r2"]);
    std::fs::remove_file(&file).unwrap();
    // The same rule on the command line.
    let selector = Selector::new(&[], None, &["r[1]".to_string()]).unwrap();
    assert_eq!(names(&inv, &selector.select(&inv, &env).unwrap()), ["r[1]"]);
}

#[test]
fn platform_aliases_compare_by_canonical_name() {
    let inv = load(
        "a: {platform: cisco_ios}\nb: {platform: ios}\nc: {platform: eos}\nd: {platform: acme}\n",
        "",
    );
    let env = crate::template::environment(None);
    let platforms = Arc::new(crate::platform::Platforms::builtin().clone());
    let select = |filters: &[&str], where_expr: Option<&str>| {
        let filters: Vec<String> = filters.iter().map(|f| f.to_string()).collect();
        let selector = Selector::new(&filters, where_expr, &[])
            .unwrap()
            .with_platforms(platforms.clone());
        names(&inv, &selector.select(&inv, &env).unwrap())
    };
    assert_eq!(select(&["platform=ios"], None), ["a", "b"]);
    assert_eq!(select(&["platform=cisco_ios"], None), ["a", "b"]);
    assert_eq!(select(&["platform!=ios"], None), ["c", "d"]);
    assert_eq!(select(&["platform~^cisco"], None), ["a"]);
    // A name no platform knows is compared as written.
    assert_eq!(select(&["platform=acme"], None), ["d"]);
    assert_eq!(select(&[], Some("platform in ['ios', 'nxos']")), ["a", "b"]);
    // Without a platform table the value is compared as written.
    let selector = Selector::new(&["platform=ios".to_string()], None, &[]).unwrap();
    assert_eq!(names(&inv, &selector.select(&inv, &env).unwrap()), ["b"]);
}

#[test]
fn empty_selection_names_the_selectors() {
    let err = pick(&["site=venus"], Some("true"), &["r*"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no host matched --hosts r* and --filter site=venus and --where 'true' (of 4 hosts: \
         --hosts r* kept 3, then --filter site=venus kept 0, then --where 'true' kept 0)"
    );
}

#[test]
fn globs() {
    assert!(glob_match("edge*.earth", "edge01.earth"));
    assert!(!glob_match("edge*.earth", "edge01.mars"));
    assert!(glob_match("*", ""));
    assert!(glob_match("a?c", "abc"));
    assert!(glob_match("[!x]b", "ab"));
    assert!(!glob_match("[a-c]", "d"));
}

#[test]
fn where_over_a_nested_key_some_hosts_lack_is_false_for_them() {
    assert_eq!(pick(&[], Some("facts.os == 'ios'"), &[]).unwrap(), ["r1"]);
    assert_eq!(
        pick(&[], Some("not facts.os == 'ios'"), &[]).unwrap(),
        ["r2", "r3", "srv1"]
    );
    // A name no host has is still a typo.
    assert!(matches!(
        pick(&[], Some("fcts.os == 'ios'"), &[]),
        Err(SelectError::WhereFailed { .. })
    ));
}
