//! Netrun's engine against Python textfsm on generated inputs.
