//! Authentication: key file, agent, password, keyboard-interactive — whatever is configured.

use super::hostkey::ClientHandler;
use super::{SshError, SshTarget};
use russh::client::{AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::PrivateKeyWithHashAlg;
use russh::keys::agent::AgentIdentity;
use std::sync::Arc;

/// Bound on keyboard-interactive rounds: a misbehaving server must not keep us looping.
const MAX_KBDINT_ROUNDS: usize = 10;

struct Attempts {
    tried: Vec<String>,
    // Methods the server says may continue; None until the first failure tells us.
    server: Option<Vec<String>>,
}

impl Attempts {
    fn note_failure(&mut self, remaining: &russh::MethodSet) {
        self.server = Some(
            remaining
                .iter()
                .map(|m| <&str>::from(m).to_string())
                .collect(),
        );
    }

    /// Whether trying `method` makes sense given what the server advertised.
    fn server_allows(&self, method: &str) -> bool {
        self.server
            .as_ref()
            .map(|s| s.iter().any(|m| m == method))
            .unwrap_or(true)
    }
}

/// Offers one private key; whether the server accepted it.
async fn offer_key(
    handle: &mut Handle<ClientHandler>,
    user: &str,
    key: russh::keys::PrivateKey,
    path: &std::path::Path,
    att: &mut Attempts,
) -> Result<bool, russh::Error> {
    let hash = rsa_hash(handle).await?;
    att.tried.push(format!("publickey ({})", path.display()));
    let res = handle
        .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
        .await?;
    Ok(done(res, att))
}

/// Try every configured credential until one works.
pub(crate) async fn authenticate(
    handle: &mut Handle<ClientHandler>,
    target: &SshTarget,
) -> Result<(), SshError> {
    let user = target.username.clone();
    let mut att = Attempts {
        tried: Vec::new(),
        server: None,
    };
    let proto = |e: russh::Error| SshError::Protocol {
        host: target.host_label.clone(),
        detail: format!("during authentication: {e}"),
    };

    // Ask with "none" first, like OpenSSH: the failure lists the methods the server accepts,
    // so we do not waste attempts (MaxAuthTries) on methods it will never take.
    let res = handle.authenticate_none(&user).await.map_err(proto)?;
    if done(res, &mut att) {
        return Ok(());
    }

    if let Some(path) = &target.private_key {
        let key =
            russh::keys::load_secret_key(path, target.passphrase.as_deref()).map_err(|e| {
                let detail = match e {
                    russh::keys::Error::KeyIsEncrypted => {
                        "key is passphrase-protected; set a passphrase".to_string()
                    }
                    other if target.passphrase.is_some() => {
                        format!("cannot load key (wrong passphrase?): {other}")
                    }
                    other => format!("cannot load key: {other}"),
                };
                SshError::Key {
                    host: target.host_label.clone(),
                    path: path.clone(),
                    detail,
                }
            })?;
        if offer_key(handle, &user, key, path, &mut att)
            .await
            .map_err(proto)?
        {
            return Ok(());
        }
    }

    // ssh_config `IdentityFile`s and the default identities, as OpenSSH tries them: one
    // that is missing is not an identity; an encrypted one without a passphrase is passed
    // over (netrun cannot ask mid-run) and named in the error.
    for path in &target.identity_files {
        if target.private_key.as_ref() == Some(path) || !att.server_allows("publickey") {
            continue;
        }
        if !path.is_file() {
            continue;
        }
        let key = match russh::keys::load_secret_key(path, target.passphrase.as_deref()) {
            Ok(key) => key,
            Err(russh::keys::Error::KeyIsEncrypted) => {
                att.tried.push(format!(
                    "publickey ({}: encrypted, no passphrase given)",
                    path.display()
                ));
                continue;
            }
            Err(e) => {
                att.tried
                    .push(format!("publickey ({}: cannot load: {e})", path.display()));
                continue;
            }
        };
        if offer_key(handle, &user, key, path, &mut att)
            .await
            .map_err(proto)?
        {
            return Ok(());
        }
    }

    if target.use_agent
        && att.server_allows("publickey")
        && try_agent(handle, target, &mut att).await?
    {
        return Ok(());
    }

    if let Some(password) = &target.password {
        if att.server_allows("password") {
            att.tried.push("password".into());
            let res = handle
                .authenticate_password(&user, password)
                .await
                .map_err(proto)?;
            if done(res, &mut att) {
                return Ok(());
            }
        }
        // Many network devices only offer keyboard-interactive for passwords.
        if att.server_allows("keyboard-interactive")
            && keyboard_interactive(handle, &user, password, &mut att)
                .await
                .map_err(proto)?
        {
            return Ok(());
        }
    }

    Err(SshError::AuthRejected {
        host: target.host_label.clone(),
        user,
        tried: att.tried,
        server_methods: att.server.unwrap_or_default(),
    })
}

fn done(res: AuthResult, att: &mut Attempts) -> bool {
    match res {
        AuthResult::Success => true,
        AuthResult::Failure {
            remaining_methods, ..
        } => {
            att.note_failure(&remaining_methods);
            false
        }
    }
}

async fn rsa_hash(
    handle: &Handle<ClientHandler>,
) -> Result<Option<russh::keys::HashAlg>, russh::Error> {
    Ok(handle.best_supported_rsa_hash().await?.flatten())
}

/// Offer each agent identity. Agent problems are not fatal: other methods may still work.
async fn try_agent(
    handle: &mut Handle<ClientHandler>,
    target: &SshTarget,
    att: &mut Attempts,
) -> Result<bool, SshError> {
    let Ok(mut agent) = russh::keys::agent::client::AgentClient::connect_env().await else {
        att.tried.push("agent (SSH_AUTH_SOCK unavailable)".into());
        return Ok(false);
    };
    let Ok(identities) = agent.request_identities().await else {
        att.tried.push("agent (no answer)".into());
        return Ok(false);
    };
    let hash = rsa_hash(handle).await.map_err(|e| SshError::Protocol {
        host: target.host_label.clone(),
        detail: e.to_string(),
    })?;
    let mut offered = 0;
    for id in identities {
        let AgentIdentity::PublicKey { key, .. } = id else {
            continue;
        };
        offered += 1;
        match handle
            .authenticate_publickey_with(&target.username, key, hash, &mut agent)
            .await
        {
            Ok(res) => {
                if done(res, att) {
                    att.tried.push(format!("agent ({offered} keys)"));
                    return Ok(true);
                }
            }
            // The agent refused to sign with this key; try the next one.
            Err(_) => continue,
        }
    }
    att.tried.push(if offered == 0 {
        "agent (0 keys): an agent is running but holds no key (ssh-add adds one)".to_string()
    } else {
        format!("agent ({offered} keys)")
    });
    Ok(false)
}

/// Answer keyboard-interactive rounds: password-looking prompts get the password, any other
/// prompt an empty string, and zero-prompt rounds an empty response list.
async fn keyboard_interactive(
    handle: &mut Handle<ClientHandler>,
    user: &str,
    password: &str,
    att: &mut Attempts,
) -> Result<bool, russh::Error> {
    att.tried.push("keyboard-interactive".into());
    let mut res = handle
        .authenticate_keyboard_interactive_start(user, None)
        .await?;
    for _ in 0..MAX_KBDINT_ROUNDS {
        match res {
            KeyboardInteractiveAuthResponse::Success => return Ok(true),
            KeyboardInteractiveAuthResponse::Failure {
                remaining_methods, ..
            } => {
                att.note_failure(&remaining_methods);
                return Ok(false);
            }
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                let answers = prompts
                    .iter()
                    .map(|p| {
                        // Hidden-input prompts are the password in practice ("Password:",
                        // "Password for admin@r1:"); echoed ones are questions we can't answer.
                        if !p.echo || p.prompt.to_lowercase().contains("password") {
                            password.to_string()
                        } else {
                            String::new()
                        }
                    })
                    .collect();
                res = handle
                    .authenticate_keyboard_interactive_respond(answers)
                    .await?;
            }
        }
    }
    Ok(false)
}
