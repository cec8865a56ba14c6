//! The benchmark floor: the least an SSH automation client can do per device, with russh.
//!
//! `ssh_floor ADDR BASE_PORT COUNT USER PASSWORD CONCURRENCY COMMAND`
//!
//! For each of COUNT devices on ADDR:BASE_PORT, BASE_PORT+1, ... (at most CONCURRENCY at a
//! time): connect, password auth, pty + shell, wait for the `#` prompt, send `terminal length
//! 0`, read to the prompt, send COMMAND, read to the prompt, close. A ` --More-- ` pager prompt
//! is answered with a space in case paging is still on. Prints one JSON line with the counts;
//! exits 1 if any device failed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::ChannelMsg;
use russh::client;
use tokio::sync::Semaphore;

struct AcceptAny;

impl client::Handler for AcceptAny {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

const TIMEOUT: Duration = Duration::from_secs(60);

/// Reads channel data until the buffer ends with a prompt (`...#`, trailing spaces allowed);
/// answers pagers with a space. Returns the bytes read.
async fn read_to_prompt(channel: &mut russh::Channel<client::Msg>) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    loop {
        match channel.wait().await {
            Some(ChannelMsg::Data { data }) => {
                buf.extend_from_slice(&data);
                let tail = buf.trim_ascii_end();
                if tail.ends_with(b"--More--") {
                    channel.data(&b" "[..]).await?;
                    buf.truncate(tail.len() - b"--More--".len());
                } else if tail.ends_with(b"#") {
                    return Ok(buf);
                }
            }
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                anyhow::bail!("channel closed before the prompt")
            }
            Some(_) => {}
        }
    }
}

async fn device(
    config: Arc<client::Config>,
    addr: (String, u16),
    user: Arc<str>,
    password: Arc<str>,
    command: Arc<str>,
) -> anyhow::Result<usize> {
    let mut session = client::connect(config, addr, AcceptAny).await?;
    if !session
        .authenticate_password(&*user, &*password)
        .await?
        .success()
    {
        anyhow::bail!("authentication rejected");
    }
    let mut channel = session.channel_open_session().await?;
    channel
        .request_pty(false, "vt100", 511, 24, 0, 0, &[])
        .await?;
    channel.request_shell(false).await?;
    read_to_prompt(&mut channel).await?;
    channel.data(&b"terminal length 0\n"[..]).await?;
    read_to_prompt(&mut channel).await?;
    channel.data(format!("{command}\n").as_bytes()).await?;
    let output = read_to_prompt(&mut channel).await?;
    let _ = channel.close().await;
    let _ = session
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    Ok(output.len())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, base, count, user, password, concurrency, command] = &args[..] else {
        anyhow::bail!("usage: ssh_floor ADDR BASE_PORT COUNT USER PASSWORD CONCURRENCY COMMAND");
    };
    let base: u16 = base.parse()?;
    let count: u16 = count.parse()?;
    let concurrency: usize = concurrency.parse()?;
    let (user, password, command): (Arc<str>, Arc<str>, Arc<str>) = (
        user.as_str().into(),
        password.as_str().into(),
        command.as_str().into(),
    );
    let config = Arc::new(client::Config {
        nodelay: true,
        ..Default::default()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let start = Instant::now();
    let (ok, failed, bytes) = runtime.block_on(async {
        let gate = Arc::new(Semaphore::new(concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..count {
            let permit = gate.clone().acquire_owned().await?;
            let addr = (host.clone(), base + i);
            let job = device(
                config.clone(),
                addr,
                user.clone(),
                password.clone(),
                command.clone(),
            );
            tasks.spawn(async move {
                let result = tokio::time::timeout(TIMEOUT, job).await;
                drop(permit);
                match result {
                    Ok(Ok(n)) => Ok(n),
                    Ok(Err(e)) => Err(format!("port {}: {e}", base + i)),
                    Err(_) => Err(format!("port {}: timed out", base + i)),
                }
            });
        }
        let (mut ok, mut failed, mut bytes) = (0usize, 0usize, 0usize);
        while let Some(joined) = tasks.join_next().await {
            match joined? {
                Ok(n) => {
                    ok += 1;
                    bytes += n;
                }
                Err(e) => {
                    failed += 1;
                    if failed <= 5 {
                        eprintln!("ssh_floor: {e}");
                    }
                }
            }
        }
        anyhow::Ok((ok, failed, bytes))
    })?;
    println!(
        "{{\"hosts\": {count}, \"ok\": {ok}, \"failed\": {failed}, \"output_bytes\": {bytes}, \"seconds\": {:.3}}}",
        start.elapsed().as_secs_f64()
    );
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
