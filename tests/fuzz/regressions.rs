//! Inputs that fuzzing found to break a property, kept as tests (docs/fuzzing.md tells the
//! story of each).
