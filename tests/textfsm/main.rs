//! TextFSM engine tests against the references: the ntc-templates corpus (records Python
//! textfsm 2.1.0 produced with ntc-templates 9.2.0) and Python textfsm itself, run on inputs
//! generated here (differential tests). They need `tests/prerequisites.sh` (python3 with
//! ntc-templates==9.2.0) and the shared corpus; without them they fail, they never skip.

mod corpus;
mod diff_corpus;
mod diff_regex;
mod diff_templates;
mod reference;
mod support;
