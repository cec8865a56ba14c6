//! netrun's integration tests: the real binary, run like a user would, with its exact output.

mod inventory;
mod support;
