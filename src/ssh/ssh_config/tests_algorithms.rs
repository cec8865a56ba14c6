//! Tests for KexAlgorithms / Ciphers / MACs / HostKeyAlgorithms against russh's defaults.

use super::tests::Home;
use russh::keys::{Algorithm, EcdsaCurve, HashAlg};
use russh::{Preferred, cipher, kex, mac};

/// Resolve `r1` with the given lines in its block.
fn preferred(lines: &str) -> (Preferred, Vec<String>) {
    preferred_from(lines, Preferred::default())
}

fn preferred_from(lines: &str, base: Preferred) -> (Preferred, Vec<String>) {
    let home = Home::new(&[(".ssh/config", &format!("Host r1\n{lines}"))]);
    home.load().resolve("r1", None).preferred_from(base)
}

#[test]
fn nothing_configured_keeps_russh_defaults() {
    let (p, notes) = preferred("  User x\n");
    let d = Preferred::default();
    assert_eq!(
        (p.kex, p.cipher, p.mac, p.key),
        (d.kex, d.cipher, d.mac, d.key)
    );
    assert!(notes.is_empty());
}

#[test]
fn plus_appends_after_the_defaults() {
    let (p, notes) = preferred("  KexAlgorithms +diffie-hellman-group14-sha1\n");
    assert!(notes.is_empty(), "{notes:?}");
    let real: Vec<_> = p
        .kex
        .iter()
        .filter(|k| !k.as_ref().contains("ext-info") && !k.as_ref().contains("kex-strict"))
        .copied()
        .collect();
    assert_eq!(real.last(), Some(&kex::DH_G14_SHA1));
    assert_eq!(real[0], kex::MLKEM768X25519_SHA256);
    // The protocol signals (strict kex: the Terrapin fix) survive any list.
    assert!(p.kex.contains(&kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT));
    assert!(p.kex.contains(&kex::EXTENSION_SUPPORT_AS_CLIENT));
    // `+ssh-rsa`: already among russh's defaults, so nothing is duplicated...
    let (p, _) = preferred("  HostKeyAlgorithms +ssh-rsa\n");
    assert_eq!(p.key, Preferred::default().key);
    // ...and appended when the base list lacks it.
    let mut base = Preferred::default();
    base.key = base
        .key
        .iter()
        .filter(|a| **a != Algorithm::Rsa { hash: None })
        .cloned()
        .collect();
    let (p, _) = preferred_from("  HostKeyAlgorithms +ssh-rsa\n", base.clone());
    assert_eq!(p.key.last(), Some(&Algorithm::Rsa { hash: None }));
    assert_eq!(p.key.len(), base.key.len() + 1);
}

#[test]
fn minus_removes_including_wildcards() {
    let (p, notes) = preferred("  Ciphers -chacha20-poly1305@openssh.com\n");
    assert!(notes.is_empty(), "{notes:?}");
    let expected: Vec<_> = Preferred::default()
        .cipher
        .iter()
        .filter(|c| **c != cipher::CHACHA20_POLY1305)
        .copied()
        .collect();
    assert_eq!(p.cipher.to_vec(), expected);
    let (p, _) = preferred("  Ciphers -aes*-ctr\n");
    assert_eq!(
        p.cipher.to_vec(),
        vec![cipher::CHACHA20_POLY1305, cipher::AES_256_GCM]
    );
    let (p, _) = preferred("  HostKeyAlgorithms -ssh-rsa,ecdsa-*\n");
    assert!(!p.key.contains(&Algorithm::Rsa { hash: None }));
    assert!(!p.key.iter().any(|a| matches!(a, Algorithm::Ecdsa { .. })));
    assert_eq!(p.key[0], Algorithm::Ed25519);
}

#[test]
fn caret_moves_to_the_head() {
    let (p, notes) = preferred("  KexAlgorithms ^curve25519-sha256\n");
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(p.kex[0], kex::CURVE25519);
    assert_eq!(p.kex.iter().filter(|k| **k == kex::CURVE25519).count(), 1);
    assert_eq!(p.kex.len(), Preferred::default().kex.len());
    // A name not among the defaults goes to the head too.
    let (p, _) = preferred("  MACs ^hmac-sha1\n");
    assert_eq!(p.mac[0], mac::HMAC_SHA1);
    assert_eq!(p.mac.len(), Preferred::default().mac.len() + 1);
}

#[test]
fn a_plain_list_replaces_in_the_order_given() {
    let (p, _) = preferred("  Ciphers aes128-ctr,aes256-gcm@openssh.com\n  MACs hmac-sha2-*\n");
    assert_eq!(
        p.cipher.to_vec(),
        vec![cipher::AES_128_CTR, cipher::AES_256_GCM]
    );
    let mut macs = p.mac.to_vec();
    macs.sort_by_key(|m| m.as_ref().to_string());
    assert_eq!(
        macs,
        vec![
            mac::HMAC_SHA256,
            mac::HMAC_SHA256_ETM,
            mac::HMAC_SHA512,
            mac::HMAC_SHA512_ETM
        ]
    );
    let (p, _) = preferred("  HostKeyAlgorithms rsa-sha2-512,ssh-ed25519\n");
    assert_eq!(
        p.key.to_vec(),
        vec![
            Algorithm::Rsa {
                hash: Some(HashAlg::Sha512)
            },
            Algorithm::Ed25519
        ]
    );
}

#[test]
fn unknown_names_are_noted_and_ignored() {
    let (p, notes) = preferred("  Ciphers +arcfour,aes128-cbc\n");
    assert_eq!(p.cipher.last(), Some(&cipher::AES_128_CBC));
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains(":2: Ciphers 'arcfour' is not offered"),
        "{notes:?}"
    );
    // Nothing usable left: keep the defaults, and say so.
    let (p, notes) = preferred("  MACs hmac-md5\n");
    assert_eq!(p.mac, Preferred::default().mac);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[1].contains("leaves no usable algorithm"));
    // A pseudo-algorithm is not a choice.
    let (p, notes) = preferred("  KexAlgorithms none\n");
    assert_eq!(p.kex, Preferred::default().kex);
    assert!(!notes.is_empty());
}

#[test]
fn certificate_algorithms_go_to_their_own_list() {
    let (p, notes) =
        preferred("  HostKeyAlgorithms ssh-ed25519-cert-v01@openssh.com,ssh-ed25519\n");
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(p.host_key_certificates.to_vec(), vec![Algorithm::Ed25519]);
    assert_eq!(p.key.to_vec(), vec![Algorithm::Ed25519]);
    let (p, _) = preferred("  HostKeyAlgorithms +ecdsa-sha2-nistp256-cert-v01@openssh.com\n");
    assert_eq!(
        p.host_key_certificates.to_vec(),
        vec![Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP256
        }]
    );
    assert_eq!(p.key, Preferred::default().key);
    let (p, _) = preferred("  HostKeyAlgorithms ^*-cert-v01@openssh.com\n");
    assert_eq!(p.host_key_certificates.len(), 7);
    assert_eq!(p.key, Preferred::default().key);
}

#[test]
fn first_value_wins_for_algorithm_lists_too() {
    let home = Home::new(&[(
        ".ssh/config",
        "Host r1\n  Ciphers aes256-ctr\nHost *\n  Ciphers aes128-ctr\n",
    )]);
    let r1 = home.load().resolve("r1", None);
    assert_eq!(r1.ciphers.as_ref().map(|c| c.line), Some(2));
    assert_eq!(r1.preferred().0.cipher.to_vec(), vec![cipher::AES_256_CTR]);
}
