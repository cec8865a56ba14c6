//! Jump hosts (`ProxyJump`): one authenticated connection per bastion for the whole run,
//! shared by every device behind it, each device reached over a `direct-tcpip` channel of it.
//! A bastion that fails is tried once: its devices all get the same error.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use super::{SshConnection, SshError, SshTarget};

/// A bastion's shared connection, or why there is none (kept, so it is not retried).
type Shared = Arc<tokio::sync::OnceCell<Result<Arc<SshConnection>, String>>>;

/// The bastions of this run, by their chain (`user@host:port` of each hop up to them).
static BASTIONS: LazyLock<Mutex<HashMap<String, Shared>>> = LazyLock::new(Default::default);

/// `user@host:port`, how a hop is named in messages and in the registry.
pub(crate) fn label(hop: &SshTarget) -> String {
    format!("{}@{}:{}", hop.username, hop.hostname, hop.port)
}

/// The shared connection to the last hop of `hop` (which carries its own earlier hops).
async fn bastion(hop: &SshTarget) -> Result<Arc<SshConnection>, String> {
    let mut key: Vec<String> = hop.jump.iter().map(label).collect();
    key.push(label(hop));
    let cell = BASTIONS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(key.join(","))
        .or_default()
        .clone();
    cell.get_or_init(|| async {
        crate::diag!(1, "jump host {}: connecting (shared)", label(hop));
        SshConnection::connect(hop.clone())
            .await
            .map(Arc::new)
            .map_err(|e| e.to_string())
    })
    .await
    .clone()
}

/// The stream [`stream`] gives.
type Stream = russh::ChannelStream<russh::client::Msg>;

/// A byte stream to `target`'s host and port through its last jump host. Boxed and `Send` by
/// declaration: connecting a bastion that has jump hosts of its own comes back here.
pub(crate) fn stream(
    target: &SshTarget,
) -> Pin<Box<dyn Future<Output = Result<Stream, SshError>> + Send + '_>> {
    Box::pin(async move {
        let Some(last) = target.jump.last() else {
            return Err(SshError::Protocol {
                host: target.host_label.clone(),
                detail: "no jump host".into(),
            });
        };
        let via = |detail: String| SshError::Connect {
            host: target.host_label.clone(),
            addr: format!("{}:{}", target.hostname, target.port),
            detail: format!("via jump host {}: {detail}", label(last)),
        };
        let conn = bastion(last).await.map_err(via)?;
        let channel = conn
            .handle
            .channel_open_direct_tcpip(
                target.hostname.clone(),
                u32::from(target.port),
                "127.0.0.1",
                0,
            )
            .await
            .map_err(|e| via(format!("cannot open a channel to the device: {e}")))?;
        Ok(channel.into_stream())
    })
}
