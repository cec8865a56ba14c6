//! Unit tests of the TextFSM language, the index and the library, one feature at a time
//! (tests/textfsm compares the same behaviour with Python on generated inputs).

mod engine;
mod index;
mod library;
mod template;

use super::{Field, Item, Records, Template};

/// Compiles `text`, failing the test on error.
pub(super) fn template(text: &str) -> Template {
    Template::compile("test.textfsm", text).unwrap_or_else(|e| panic!("{e}"))
}

/// The compile error's kind as text.
pub(super) fn compile_error(text: &str) -> String {
    match Template::compile("test.textfsm", text) {
        Ok(_) => panic!("template should be refused:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Rows of plain text fields (List fields shown as `[a|b]`).
pub(super) fn rows(records: &Records) -> Vec<Vec<String>> {
    records
        .rows()
        .iter()
        .map(|row| {
            row.iter()
                .map(|f| match f {
                    Field::Text(s) => s.clone(),
                    Field::List(items) => {
                        format!(
                            "[{}]",
                            items
                                .iter()
                                .map(Item::to_python_str)
                                .collect::<Vec<_>>()
                                .join("|")
                        )
                    }
                })
                .collect()
        })
        .collect()
}

/// Parses `input` with `text` and returns plain rows.
pub(super) fn parse(text: &str, input: &str) -> Vec<Vec<String>> {
    rows(
        &template(text)
            .parse(input)
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

/// Row literal helper.
pub(super) fn r(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}
