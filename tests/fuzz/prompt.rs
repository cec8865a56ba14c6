//! The prompt engine's byte stream: whatever the chunks, the text is the same and the prompt
//! is found.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::targets::{collector, normalizer};

/// Bytes a terminal sends: text (some of it multi-byte UTF-8), escape sequences, carriage
/// returns, backspaces, and anything else.
fn terminal_bytes() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        3 => "[ -~]{1,8}".prop_map(String::into_bytes),
        1 => "[é€漢😀]{1,3}".prop_map(String::into_bytes),
        1 => prop::sample::select(vec![
            &b"\x1b[0m"[..], b"\x1b[?2004h", b"\x1b]0;title\x07", b"\x1b]0;t\x1b\\", b"\x1b7",
            b"\x1b(B", b"\r\n", b"\r\r\n", b"\r", b"\x08", b"\x7f", b"\t", b"\x1b", b"\x1b[",
            b"\xe2\x82", b"\xff", b"\xc3", b"\x00", b" --More-- ",
        ])
        .prop_map(<[u8]>::to_vec),
        1 => vec(any::<u8>(), 1..4),
    ];
    vec(fragment, 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(crate::config())]

    #[test]
    fn normalizing_does_not_depend_on_the_chunks(stream in terminal_bytes(), cuts in vec(any::<usize>(), 0..8)) {
        normalizer(&stream, &cuts);
    }

    #[test]
    fn the_prompt_is_found_across_any_cut(
        output in "([ -~é€漢]{0,20}\n){0,4}",
        cuts in vec(any::<usize>(), 0..8),
        noise in terminal_bytes(),
    ) {
        collector(&output, &cuts, &noise);
    }
}
