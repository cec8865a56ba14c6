//! The line scan and the chunk plan, on small texts.

use super::*;

fn keys(text: &str) -> Option<Vec<&str>> {
    top_level_entries(text).map(|regions| regions.iter().map(|r| r.key).collect())
}

#[test]
fn entries_are_plain_keys_at_column_0() {
    assert_eq!(
        keys("# c\nr1:\n  a: 1\nr2: {b: 2}\n  r3: x\n'r4': {}\nr5: 1\n"),
        Some(vec!["r1", "r2", "r5"])
    );
    // An open quote makes a line no cut point: it may close a quote of an earlier line.
    assert_eq!(keys("r1: \"a\nsecond: line\"\nr2:\n"), Some(vec!["r2"]));
}

#[test]
fn document_markers_around_the_entries_keep_chunking() {
    assert_eq!(keys("---\nr1: {}\nr2: {}\n...\n"), Some(vec!["r1", "r2"]));
    assert_eq!(
        keys("--- # inventory\nr1: {}\n...\n# end\n"),
        Some(vec!["r1"])
    );
    // A second document, content on the marker line, directives and sequences do not.
    assert_eq!(keys("r1: {}\n---\nr2: {}\n"), None);
    assert_eq!(keys("---\n---\nr1: {}\n"), None);
    assert_eq!(keys("r1: {}\n...\nr2: {}\n"), None);
    assert_eq!(keys("--- {r1: {}}\n"), None);
    assert_eq!(keys("%YAML 1.2\n---\nr1: {}\n"), None);
    assert_eq!(keys("- r1\n"), None);
    assert_eq!(keys("# nothing\n"), None);
}

#[test]
fn anchors_and_aliases_belong_to_their_entry() {
    let text = "# &early\nr1:\n  data: &base {a: 1}\nr2: {data: *base, x: [*y, &z q]}\nr3: {x: 'a *b', y: c*d} # *e\n";
    let regions = top_level_entries(text).expect("cuttable");
    let found: Vec<(&str, Vec<&str>, Vec<&str>)> = regions
        .iter()
        .map(|r| (r.key, r.anchors.clone(), r.aliases.clone()))
        .collect();
    assert_eq!(
        found,
        [
            // The comment before the first entry is passed over, like every comment.
            ("r1", vec!["base"], vec![]),
            ("r2", vec!["z"], vec!["base", "y"]),
            // A guess: `'a *b'` looks like an alias; a comment does not.
            ("r3", vec![], vec!["b'"]),
        ]
    );
}

/// `count` entries of about 100 bytes; entry `i` gets `extra(i)` appended to its data.
fn entries(count: usize, extra: impl Fn(usize) -> String) -> String {
    let mut text = String::new();
    for i in 0..count {
        text.push_str(&format!(
            "h{i:06}:\n  data: {{pad: {}{}}}\n",
            "x".repeat(80),
            extra(i)
        ));
    }
    text
}

#[test]
fn a_chunk_gets_the_entries_that_define_what_it_uses() {
    // h0 defines &a, h1 defines &b using *a; far later entries use *b.
    let text = entries(8000, |i| match i {
        0 => ", a: &a [1]".into(),
        1 => ", b: &b {x: *a}".into(),
        i if i % 1000 == 999 => ", c: *b".into(),
        _ => String::new(),
    });
    let regions = top_level_entries(&text).expect("cuttable");
    let plan = plan_chunks(&text, &regions, CHUNK_BYTES).expect("a plan");
    assert!(plan.len() > 2, "{}", plan.len());
    assert!(plan[0].copies.is_empty());
    for chunk in &plan[1..] {
        assert_eq!(chunk.copies, [0, 1], "{chunk:?}");
        let source = chunk.text(&text, &regions);
        assert!(source.starts_with("h000000:"), "{}", &source[..20]);
    }
}

#[test]
fn redefined_anchors_and_copies_larger_than_the_file_parse_whole() {
    let text = entries(8000, |i| match i {
        0 | 5000 => ", a: &a [1]".into(),
        _ => String::new(),
    });
    let regions = top_level_entries(&text).expect("cuttable");
    assert!(plan_chunks(&text, &regions, CHUNK_BYTES).is_none());
    // One huge first entry that every chunk needs: copying it everywhere would cost more than
    // parsing the file once.
    let mut text = format!("big:\n  data: &big [{}]\n", "1, ".repeat(400_000));
    text.push_str(&entries(20_000, |_| ", b: *big".into()));
    let regions = top_level_entries(&text).expect("cuttable");
    assert!(plan_chunks(&text, &regions, CHUNK_BYTES).is_none());
}

mod properties {
    //! Chunked and one-piece parses agree on generated host files, cut into small chunks.

    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::inventory::file::with_group_check;
    use crate::inventory::groups::group_check;

    /// A host entry with the constructs that matter to the cuts.
    fn entry() -> impl Strategy<Value = String> {
        let name = prop_oneof![
            4 => "h[0-9]{1,3}",
            1 => prop::sample::select(vec!["'q'", "0x1F", "1", "&k h", "*k", "h #c", "- h"])
                .prop_map(str::to_string),
        ];
        let value = prop::sample::select(vec![
            "{hostname: a}",
            "{data: &a {x: 1}}",
            "{data: &b [*a]}",
            "{data: {y: *a}}",
            "{data: {z: *b}}",
            "{data: {<<: *a}}",
            "\n  data:\n    note: \"open\nh999: x\"",
            "\n  data: {a: 1,\nb: 2}",
            "\n  data:\n    text: |\n      h1: inside",
            "{port: 99999}",
            "{data: '*a &a'}",
            "",
        ]);
        (name, value).prop_map(|(name, value)| format!("{name}: {value}\n"))
    }

    proptest! {
        #![proptest_config(crate::yaml::property_config(1))]

        #[test]
        fn chunked_and_whole_parses_agree(
            entries in vec(entry(), 1..24),
            start in prop::sample::select(vec!["", "---\n", "# c\n", "--- # c\n"]),
            end in prop::sample::select(vec!["", "...\n", "# c\n", "---\nx: 1\n"]),
            chunk_bytes in 1usize..200,
        ) {
            let text = format!("{start}{}{end}", entries.concat());
            let check = Arc::new(group_check(&IndexMap::new(), "groups.yaml".into()));
            let path = Path::new("hosts.yaml");
            let summary = |result: Result<IndexMap<String, HostFile>, YamlError>| match result {
                Ok(hosts) => Ok(hosts
                    .iter()
                    .map(|(name, host)| format!("{name}: {:?}", host.data.entries))
                    .collect::<Vec<_>>()),
                Err(err) => Err((err.position, err.message)),
            };
            let whole = summary(with_group_check(check.clone(), || {
                yaml::parse::<yaml::Entries<HostFile>>(path, &text).map(|h| h.entries)
            }));
            let chunked = summary(parse_hosts_in(path, &text, &check, chunk_bytes));
            prop_assert_eq!(whole, chunked, "{}", text);
        }
    }
}
