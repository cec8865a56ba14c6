//! "Did you mean": the names nearest to a mistyped one, for hints about host names, groups,
//! filter keys, platforms, tasks and flags.

/// How many suggestions a hint names at most.
const MAX_SUGGESTIONS: usize = 3;

/// The edit distance between `a` and `b` (insertions, deletions, substitutions and swaps of two
/// neighbouring characters each count one), compared without regard to ASCII case.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    // Three rows of the optimal string alignment table: two back, one back, this one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The candidates close enough to `word` to be what was meant, nearest first (ties in
/// alphabetical order), at most three: those within a third of the word's length in edits (at
/// least one, at most three), and those the word begins (`edge01` for `edge01.earth`).
pub fn nearest<I, S>(word: &str, candidates: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let word_len = word.chars().count();
    let allowed = (word_len / 3).clamp(1, 3);
    let mut scored: Vec<(usize, String)> = Vec::new();
    for candidate in candidates {
        let candidate = candidate.as_ref();
        if candidate == word || scored.iter().any(|(_, c)| c == candidate) {
            continue;
        }
        let edits = distance(word, candidate);
        let prefix = word_len >= 3
            && candidate.len() > word.len()
            && candidate
                .to_ascii_lowercase()
                .starts_with(&word.to_ascii_lowercase());
        if edits <= allowed || prefix {
            // A name the word begins ranks as one edit away, whatever its length.
            let rank = if prefix { edits.min(1) } else { edits };
            scored.push((rank, candidate.to_string()));
        }
    }
    // Equally near names in alphabetical order, so that a hint never depends on the order
    // a table was built in.
    scored.sort();
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, c)| c)
        .collect()
}

/// "did you mean `a`?", "did you mean `a` or `b`?", "did you mean `a`, `b` or `c`?"; `None`
/// without suggestions.
pub fn did_you_mean(suggestions: &[String]) -> Option<String> {
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_and_swaps() {
        assert_eq!(distance("site", "site"), 0);
        assert_eq!(distance("stie", "site"), 1);
        assert_eq!(distance("leef", "leaf"), 1);
        assert_eq!(distance("cisco_iso", "cisco_ios"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("Site", "site"), 0);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn nearest_names_close_ones_and_those_the_word_begins() {
        let hosts = ["edge01.earth", "edge02.earth", "edge01.mars", "core1"];
        assert_eq!(nearest("edge01", hosts), ["edge01.earth", "edge01.mars"]);
        assert_eq!(nearest("cor1", hosts), ["core1"]);
        assert!(nearest("xyz", hosts).is_empty());
        assert_eq!(nearest("stie", ["role", "site", "asn"]), ["site"]);
    }

    #[test]
    fn nearest_names_at_most_three_nearest_first() {
        let names = ["abcd", "abce", "abcf", "abc"];
        assert_eq!(nearest("abcx", names), ["abc", "abcd", "abce"]);
        assert_eq!(nearest("abcf", ["abce", "abcf"]), ["abce"]);
    }

    #[test]
    fn did_you_mean_lists_in_prose() {
        assert_eq!(did_you_mean(&[]), None);
        assert_eq!(
            did_you_mean(&["a".into()]).as_deref(),
            Some("did you mean `a`?")
        );
        assert_eq!(
            did_you_mean(&["a".into(), "b".into(), "c".into()]).as_deref(),
            Some("did you mean `a`, `b` or `c`?")
        );
    }
}
