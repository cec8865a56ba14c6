use super::*;

fn norm(chunks: &[&[u8]]) -> String {
    let mut n = Normalizer::new();
    let mut out = String::new();
    for c in chunks {
        n.feed(c, &mut out, 0);
    }
    out
}

fn ios_collector() -> Collector {
    let platforms = crate::platform::Platforms::builtin();
    let ios = platforms.get("ios").expect("ios");
    Collector::new(
        PromptMatcher::any(ios.prompt_patterns()).expect("prompt"),
        PagerMatcher::new(ios.pager_patterns()).expect("pager"),
    )
}

/// Feed chunks in order, answering pagers; return the output once the prompt shows.
fn run(c: &mut Collector, command: &str, chunks: &[&[u8]]) -> (Option<Completed>, usize) {
    c.start_command(command);
    let mut pagers = 0;
    for chunk in chunks {
        match c.feed(chunk) {
            Event::Pager => pagers += 1,
            Event::Prompt => return (Some(c.take()), pagers),
            Event::NeedMore => {}
            Event::Overflow => return (None, pagers),
        }
    }
    (None, pagers)
}

#[test]
fn crlf_variants_and_stray_cr() {
    // A lone \r goes back to the start of the line, as on a terminal: `d` overwrites `c`.
    assert_eq!(norm(&[b"a\r\nb\r\r\nc\rd\n"]), "a\nb\nd\n");
    // \r\n split across chunks.
    assert_eq!(norm(&[b"a\r", b"\nb"]), "a\nb");
    assert_eq!(norm(&[b"a\r\r", b"\n"]), "a\n");
}

#[test]
fn utf8_split_across_chunks() {
    let s = "Ünïcødé → ok".as_bytes();
    for cut in 0..s.len() {
        let (a, b) = s.split_at(cut);
        assert_eq!(norm(&[a, b]), "Ünïcødé → ok", "cut at {cut}");
    }
    // Invalid bytes become replacement characters rather than errors.
    assert_eq!(norm(&[b"a\xffb"]), "a\u{FFFD}b");
    // An invalid byte, then a sequence completed by the next chunk.
    assert_eq!(norm(&[b"a\xff\xc3", b"\xa9z"]), "a\u{FFFD}\u{e9}z");
    // A sequence cut off by a newline is replaced, not carried into the next line.
    assert_eq!(norm(&[b"a\xc3\nb"]), "a\u{FFFD}\nb");
}

#[test]
fn ansi_stripped_even_when_split() {
    let raw = b"\x1b[?2004h\x1b[1;32mgreen\x1b[0m \x1b]0;title\x07x\x1b(By\x1b]2;t\x1b\\z";
    for cut in 0..raw.len() {
        let (a, b) = raw.split_at(cut);
        assert_eq!(norm(&[a, b]), "green xyz", "cut at {cut}");
    }
}

#[test]
fn backspaces_applied_but_bounded() {
    assert_eq!(norm(&[b"shw\x08\x08how"]), "show");
    // Backspace never crosses a newline.
    assert_eq!(norm(&[b"ab\n\x08\x08c"]), "ab\nc");
    let mut n = Normalizer::new();
    let mut out = String::from("keep");
    n.feed(b"\x08\x08x", &mut out, 4);
    assert_eq!(out, "keepx");
}

#[test]
fn simple_command() {
    let mut c = ios_collector();
    let (done, _) = run(
        &mut c,
        "show clock",
        &[b"show clock\r\n*10:00:00.000 UTC Mon Mar 1 2024\r\nR1#"],
    );
    let done = done.expect("prompt");
    assert_eq!(done.output, "*10:00:00.000 UTC Mon Mar 1 2024");
    assert_eq!(done.prompt, "R1#");
}

#[test]
fn echo_split_across_reads_and_prompt_split() {
    let mut c = ios_collector();
    let (done, _) = run(
        &mut c,
        "show   version",
        &[
            b"sh",
            b"ow ver",
            b"sion\r",
            b"\nCisco IOS\r\n",
            b"R",
            b"1",
            b"#",
            b" ",
        ],
    );
    let done = done.expect("prompt");
    assert_eq!(done.output, "Cisco IOS");
    assert_eq!(done.prompt, "R1#");
}

#[test]
fn prompt_not_matched_before_complete() {
    let mut c = ios_collector();
    c.start_command("show ip int brief");
    assert_eq!(
        c.feed(b"show ip int brief\r\nInterface  IP\r\n"),
        Event::NeedMore
    );
    // "R1" alone is not a prompt yet.
    assert_eq!(c.feed(b"R1"), Event::NeedMore);
    assert_eq!(c.feed(b"#"), Event::Prompt);
    assert_eq!(c.take().output, "Interface  IP");
}

#[test]
fn prompt_text_inside_output_is_not_the_prompt() {
    let mut c = ios_collector();
    c.start_command("show history");
    assert_eq!(
        c.feed(b"show history\r\nR1#\r\nother-router>\r\nmore output\r\n"),
        Event::NeedMore
    );
    assert_eq!(c.feed(b"R1#"), Event::Prompt);
    assert_eq!(c.take().output, "R1#\nother-router>\nmore output");
}

#[test]
fn command_ending_like_a_prompt_is_not_the_prompt() {
    let mut c = ios_collector();
    c.start_command("R1#");
    // The echo alone (no newline yet) looks like a prompt but is not accepted.
    assert_eq!(c.feed(b"R1#"), Event::NeedMore);
    assert_eq!(c.feed(b"\r\n% Invalid\r\nR1#"), Event::Prompt);
    assert_eq!(c.take().output, "% Invalid");
}

#[test]
fn ansi_and_crcrlf_in_command_output() {
    let mut c = ios_collector();
    let (done, _) = run(
        &mut c,
        "show run | i host",
        &[
            b"show run | i host\r\r\n\x1b[1mhostname R1\x1b[0m\r\r\nR1",
            b"#",
        ],
    );
    assert_eq!(done.expect("prompt").output, "hostname R1");
}

#[test]
fn pager_is_removed_and_reported() {
    let mut c = ios_collector();
    let erase = b"\x08\x08\x08\x08\x08\x08\x08\x08\x08        \x08\x08\x08\x08\x08\x08\x08\x08\x08";
    let mut second = erase.to_vec();
    second.extend_from_slice(b"line3\r\nR1#");
    let (done, pagers) = run(
        &mut c,
        "show run",
        &[b"show run\r\nline1\r\nline2\r\n --More-- ", &second],
    );
    assert_eq!(pagers, 1);
    assert_eq!(done.expect("prompt").output, "line1\nline2\nline3");
}

#[test]
fn pager_split_across_chunks() {
    let mut c = ios_collector();
    c.start_command("show log");
    assert_eq!(c.feed(b"show log\r\nentry1\r\n --Mo"), Event::NeedMore);
    assert_eq!(c.feed(b"re-- "), Event::Pager);
    assert_eq!(c.feed(b"\r          \rentry2\r\nR1#"), Event::Prompt);
    // The device blanks the pager line and writes over it, as a terminal shows it.
    assert_eq!(c.take().output, "entry1\nentry2    ");
}

#[test]
fn echo_with_prompt_prefix_and_no_echo() {
    assert_eq!(
        strip_echo("R1#show clock\n10:00\n", "show clock"),
        "10:00\n"
    );
    assert_eq!(strip_echo("10:00\n", "show clock"), "10:00\n");
    // The command text appearing later in output is left alone.
    assert_eq!(
        strip_echo("first\nshow clock\n", "show clock"),
        "first\nshow clock\n"
    );
    // Echo wrapped by a narrow terminal.
    assert_eq!(
        strip_echo(
            "show running-con\nfig\nhostname R1\n",
            "show running-config"
        ),
        "hostname R1\n"
    );
    assert_eq!(strip_echo("SHOW  CLOCK\nx", "show clock"), "x");
}

#[test]
fn stray_prompt_before_echo_is_removed() {
    let mut c = ios_collector();
    let (done, _) = run(
        &mut c,
        "show clock",
        &[b"\r\nR1#show clock\r\n10:00\r\nR1#"],
    );
    assert_eq!(done.expect("prompt").output, "10:00");
    assert_eq!(strip_echo("\n\nshow clock\nx", "show clock"), "x");
}

#[test]
fn prompt_only_in_tail_window() {
    let m = PromptMatcher::new("R1#").expect("re");
    let mut text = "x".repeat(5000);
    text.push_str("R1#");
    assert_eq!(m.find(&text), None, "last line longer than the window");
    let text = format!("{}\nR1# ", "y".repeat(5000));
    assert_eq!(m.find(&text), Some(5001));
}

#[test]
fn buffer_resets_between_commands() {
    let mut c = ios_collector();
    c.start_command("show clock");
    assert_eq!(c.feed(b"show clock\r\n10:00\r\nR1#"), Event::Prompt);
    assert_eq!(c.take().output, "10:00");
    // Next command starts from an empty buffer; partial reports only new data.
    c.start_command("show ver");
    assert_eq!(c.feed(b"show ver\r\npartial"), Event::NeedMore);
    assert_eq!(c.partial(), "partial");
}

#[test]
fn passive_wait_for_banner_then_prompt() {
    let mut c = ios_collector();
    c.start_passive();
    assert_eq!(
        c.feed(b"\r\n*** Authorized access only ***\r\n\r\n"),
        Event::NeedMore
    );
    assert_eq!(c.feed(b"R1>"), Event::Prompt);
    let done = c.take();
    assert_eq!(done.prompt, "R1>");
    assert_eq!(done.output, "\n*** Authorized access only ***\n");
}

#[test]
fn output_past_the_limit_overflows() {
    let mut c = ios_collector();
    c.set_limit(64);
    c.start_command("show tech");
    assert_eq!(c.feed(b"show tech\r\n"), Event::NeedMore);
    assert_eq!(c.feed(&[b'x'; 40]), Event::NeedMore);
    assert_eq!(c.feed(&[b'x'; 40]), Event::Overflow);
}

#[test]
fn taking_the_output_keeps_what_follows_the_prompt() {
    let mut c = ios_collector();
    c.start_command("show clock");
    assert_eq!(c.feed(b"show clock\r\n10:00\r\nR1#"), Event::Prompt);
    let done = c.take();
    assert_eq!(
        (done.output.as_str(), done.prompt.as_str()),
        ("10:00", "R1#")
    );
    c.start_command("show ver");
    assert_eq!(c.feed(b"show ver\r\nIOS\r\nR1#"), Event::Prompt);
    assert_eq!(c.take().output, "IOS");
}

#[test]
fn a_carriage_return_rewrites_the_line_like_a_terminal() {
    assert_eq!(norm(&[b"p 10%\rp 100%\n"]), "p 100%\n");
    assert_eq!(norm(&[b"abcdef\rxy\n"]), "xycdef\n");
    assert_eq!(norm(&[b"p 1%\r", b"p 2%\r", b"p 100%\r\n"]), "p 100%\n");
    assert_eq!(norm(&[b"\xc3\xa9t\xc3\xa9\rE"]), "Et\u{e9}");
    // A backspace after a carriage return moves left without erasing.
    assert_eq!(norm(&[b"abc\rxy\x08Z\n"]), "xZc\n");
}
