//! Unit tests (device state machine) and integration tests (russh client against a running lab).
