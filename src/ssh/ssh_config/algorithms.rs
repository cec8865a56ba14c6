//! `KexAlgorithms`, `Ciphers`, `MACs` and `HostKeyAlgorithms` turned into a
//! [`russh::Preferred`]. As in ssh_config(5): a plain list replaces the defaults, `+list`
//! appends to them, `-list` removes from them, `^list` puts at their head; `*` and `?`
//! wildcards select among the algorithms russh implements. Names russh does not offer are
//! ignored with a note; a list that ends up empty keeps the defaults (with a note), since
//! connecting with nothing to offer cannot work.

use super::{ResolvedHost, Sourced};
use crate::ssh::known_hosts::pattern::wildcard_match;
use russh::keys::{Algorithm, EcdsaCurve, HashAlg};
use std::borrow::Cow;

/// Suffix of OpenSSH certificate host key algorithm names.
const CERT_SUFFIX: &str = "-cert-v01@openssh.com";

/// Host key algorithms russh verifies (ssh-dss needs a russh feature netrun does not enable).
fn host_key_catalogue() -> Vec<(String, Algorithm)> {
    let plain = [
        Algorithm::Ed25519,
        Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP256,
        },
        Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP384,
        },
        Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP521,
        },
        Algorithm::Rsa {
            hash: Some(HashAlg::Sha512),
        },
        Algorithm::Rsa {
            hash: Some(HashAlg::Sha256),
        },
        Algorithm::Rsa { hash: None },
    ];
    // OpenSSH lists certificates first; keep that order for wildcard expansion.
    let certs = plain.iter().map(|a| (a.to_certificate_type(), a.clone()));
    let keys = plain.iter().map(|a| (a.as_str().to_string(), a.clone()));
    certs.chain(keys).collect()
}

/// Apply one option's spec to the default names; `None` leaves them as they are. An empty
/// result (noted) tells the caller to keep its defaults.
fn modify(
    option: &str,
    spec: Option<&Sourced<String>>,
    defaults: Vec<String>,
    catalogue: &[String],
    notes: &mut Vec<String>,
) -> Vec<String> {
    let Some(spec) = spec else {
        return defaults;
    };
    let text = spec.value.as_str();
    let (modifier, list) = match text.chars().next() {
        Some(m @ ('+' | '-' | '^')) => (Some(m), &text[1..]),
        _ => (None, text),
    };
    let mut named = Vec::new();
    for item in list.split(',').filter(|s| !s.is_empty()) {
        let hits: Vec<&String> = catalogue
            .iter()
            .filter(|c| wildcard_match(c, item))
            .collect();
        if hits.is_empty() {
            notes.push(format!(
                "{}: {option} '{item}' is not offered by netrun's SSH library; ignored",
                spec.place()
            ));
        }
        for hit in hits {
            if !named.contains(hit) {
                named.push(hit.clone());
            }
        }
    }
    let result: Vec<String> = match modifier {
        Some('+') => {
            let mut all = defaults.clone();
            all.extend(named.into_iter().filter(|n| !defaults.contains(n)));
            all
        }
        Some('-') => defaults
            .into_iter()
            .filter(|d| !named.contains(d))
            .collect(),
        Some('^') => {
            let rest: Vec<String> = defaults
                .into_iter()
                .filter(|d| !named.contains(d))
                .collect();
            named.into_iter().chain(rest).collect()
        }
        _ => named,
    };
    if result.is_empty() {
        notes.push(format!(
            "{}: {option} leaves no usable algorithm; using the defaults",
            spec.place()
        ));
    }
    result
}

/// Map names back to russh values, keeping order.
fn pick<T: Clone>(names: &[String], catalogue: &[(String, T)]) -> Vec<T> {
    names
        .iter()
        .filter_map(|n| {
            catalogue
                .iter()
                .find(|(c, _)| c == n)
                .map(|(_, v)| v.clone())
        })
        .collect()
}

/// One list: defaults from `base`, changed by `spec`; empty means "keep `base`".
fn list<T: Clone + PartialEq>(
    option: &str,
    spec: Option<&Sourced<String>>,
    base: &[T],
    catalogue: &[(String, T)],
    notes: &mut Vec<String>,
) -> Option<Vec<T>> {
    spec?;
    let names: Vec<String> = catalogue.iter().map(|(n, _)| n.clone()).collect();
    let defaults: Vec<String> = base
        .iter()
        .filter_map(|b| {
            catalogue
                .iter()
                .find(|(_, v)| v == b)
                .map(|(n, _)| n.clone())
        })
        .collect();
    let chosen = modify(option, spec, defaults, &names, notes);
    (!chosen.is_empty()).then(|| pick(&chosen, catalogue))
}

/// `base` changed by the host's four algorithm options, with notes on what was ignored.
pub(super) fn apply(
    host: &ResolvedHost,
    base: russh::Preferred,
) -> (russh::Preferred, Vec<String>) {
    let mut notes = Vec::new();
    let mut pref = base;

    // Key exchange: the pseudo-algorithms (ext-info, strict-kex) are protocol signals, not
    // choices; they stay whatever the list says (strict-kex is the Terrapin fix).
    let signals = [
        russh::kex::EXTENSION_SUPPORT_AS_CLIENT,
        russh::kex::EXTENSION_SUPPORT_AS_SERVER,
        russh::kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
        russh::kex::EXTENSION_OPENSSH_STRICT_KEX_AS_SERVER,
    ];
    let kex_catalogue: Vec<(String, russh::kex::Name)> = russh::kex::ALL_KEX_ALGORITHMS
        .iter()
        .map(|n| **n)
        .filter(|n| *n != russh::kex::NONE && !signals.contains(n))
        .map(|n| (n.as_ref().to_string(), n))
        .collect();
    if let Some(mut kex) = list(
        "KexAlgorithms",
        host.kex_algorithms.as_ref(),
        &pref.kex,
        &kex_catalogue,
        &mut notes,
    ) {
        kex.extend(pref.kex.iter().filter(|k| signals.contains(k)).copied());
        pref.kex = Cow::Owned(kex);
    }

    let cipher_catalogue: Vec<(String, russh::cipher::Name)> = russh::cipher::ALL_CIPHERS
        .iter()
        .map(|n| **n)
        .filter(|n| *n != russh::cipher::NONE && *n != russh::cipher::CLEAR)
        .map(|n| (n.as_ref().to_string(), n))
        .collect();
    if let Some(cipher) = list(
        "Ciphers",
        host.ciphers.as_ref(),
        &pref.cipher,
        &cipher_catalogue,
        &mut notes,
    ) {
        pref.cipher = Cow::Owned(cipher);
    }

    let mac_catalogue: Vec<(String, russh::mac::Name)> = russh::mac::ALL_MAC_ALGORITHMS
        .iter()
        .map(|n| **n)
        .filter(|n| *n != russh::mac::NONE)
        .map(|n| (n.as_ref().to_string(), n))
        .collect();
    if let Some(mac) = list(
        "MACs",
        host.macs.as_ref(),
        &pref.mac,
        &mac_catalogue,
        &mut notes,
    ) {
        pref.mac = Cow::Owned(mac);
    }

    // Host keys: one OpenSSH list covers plain and certificate algorithms; russh keeps the
    // certificate ones apart (`host_key_certificates`).
    if let Some(spec) = host.host_key_algorithms.as_ref() {
        let catalogue = host_key_catalogue();
        let names: Vec<String> = catalogue.iter().map(|(n, _)| n.clone()).collect();
        let name_of = |a: &Algorithm, cert: bool| {
            catalogue
                .iter()
                .find(|(n, v)| v == a && n.ends_with(CERT_SUFFIX) == cert)
                .map(|(n, _)| n.clone())
        };
        let defaults: Vec<String> = pref
            .host_key_certificates
            .iter()
            .filter_map(|a| name_of(a, true))
            .chain(pref.key.iter().filter_map(|a| name_of(a, false)))
            .collect();
        let chosen = modify(
            "HostKeyAlgorithms",
            Some(spec),
            defaults,
            &names,
            &mut notes,
        );
        let (certs, keys): (Vec<String>, Vec<String>) =
            chosen.into_iter().partition(|n| n.ends_with(CERT_SUFFIX));
        if !keys.is_empty() {
            pref.key = Cow::Owned(pick(&keys, &catalogue));
            pref.host_key_certificates = Cow::Owned(pick(&certs, &catalogue));
        } else if !certs.is_empty() {
            notes.push(format!(
                "{}: HostKeyAlgorithms lists only certificates; plain keys stay allowed",
                spec.place()
            ));
            pref.host_key_certificates = Cow::Owned(pick(&certs, &catalogue));
        }
    }
    (pref, notes)
}
