//! The inventory loader on arbitrary bytes and on generated inventories.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::targets::inventory_files;
use crate::yamlish::document;

proptest! {
    #![proptest_config(crate::config())]

    #[test]
    fn arbitrary_bytes_in_any_inventory_file(
        hosts in vec(any::<u8>(), 0..300),
        groups in prop::option::of(vec(any::<u8>(), 0..200)),
        defaults in prop::option::of(vec(any::<u8>(), 0..200)),
    ) {
        inventory_files(&hosts, groups.as_deref(), defaults.as_deref());
    }

    #[test]
    fn generated_inventories(
        hosts in document(),
        groups in prop::option::of(document()),
        defaults in prop::option::of(document()),
    ) {
        inventory_files(&hosts, groups.as_deref(), defaults.as_deref());
    }

}

proptest! {
    // Each case here is a large input: an eighth of the cases.
    #![proptest_config(proptest::test_runner::Config {
        cases: (crate::cases() / 8).max(8),
        ..crate::config()
    })]

    #[test]
    fn deep_and_repeated_structures(depth in 1usize..2000, width in 1usize..12, levels in 1usize..12) {
        // Nesting past the parser's limit, and aliases of aliases: errors, not crashes.
        let deep = format!("h:\n  data:\n    x: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        inventory_files(deep.as_bytes(), None, None);
        let mut bomb = String::from("h:\n  data:\n    l0: &l0 [lol]\n");
        for level in 1..levels {
            let alias = format!("*l{}", level - 1);
            bomb.push_str(&format!("    l{level}: &l{level} [{}]\n", vec![alias.as_str(); width].join(", ")));
        }
        inventory_files(bomb.as_bytes(), None, None);
        let mut chain = String::new();
        for i in 0..depth {
            chain.push_str(&format!("g{i}: {{groups: [g{}]}}\n", (i + 1) % (depth + width % 2)));
        }
        inventory_files(b"h: {groups: [g0]}\n", Some(chain.as_bytes()), None);
    }
}
