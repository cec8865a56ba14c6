//! TextFSM templates and the ntc-templates index, with the semantics of Google's reference
//! implementation (textfsm 2.1.0) and of `ntc_templates.parse.parse_output`.
//!
//! The public API:
//!
//! - [`Template::compile`]`(name, text) -> Result<Template, TemplateError>` compiles a template;
//!   [`Template::parse`]`(&self, text) -> Result<Records, ParseError>` runs it over text.
//! - [`Index::load`]`(dir)` reads an ntc-templates `index`; [`Index::lookup`]`(platform, command)`
//!   names the template file(s) for a platform and command.
//! - [`Library::open`]`(dir)` holds a templates directory's index and compiles each template
//!   once, on first use (share it with `Arc`); [`Library::parse`]`(platform, command, text)`
//!   parses command output as `parse_output` does (joined templates included);
//!   [`Library::parse_with_template`]`(path, text)` uses one template file.
//! - [`templates_dir`]`(explicit, configured, env) -> Result<PathBuf, DiscoveryError>` finds the
//!   templates directory; [`ntc_platform`] maps netrun platform names to ntc-templates names.
//! - [`Records`] are the parsed records; [`Records::to_json`] gives ntc-templates' JSON form
//!   (lowercase keys, strings, lists of strings) and serializing [`Records`] keeps column order.
//!
//! Templates are written in Python's regex dialect; [`pyre`] parses and matches it with
//! CPython's semantics. See `docs/textfsm.md` for the supported language.

mod engine;
mod index;
mod library;
pub mod pyre;
mod pystr;
mod record;
mod template;
#[cfg(test)]
mod tests;

pub use engine::ParseError;
pub use index::{Index, IndexError, IndexErrorKind, expand_completions};
pub use library::{
    DiscoveryError, Library, LibraryError, TEMPLATES_ENV, index_names, ntc_platform, templates_dir,
    templates_dir_using,
};
pub use record::{Field, Item, Records};
pub use template::{Template, TemplateError, TemplateErrorKind, ValueOption};
