//! `netrun lab`: a simulated device for every selected host, served on loopback until Ctrl-C.

use std::io::Write;

use netrun::config::ConfigError;
use netrun::lab::{Lab, LabCounters};
use netrun::output;

use crate::cli::args::LabArgs;
use crate::cli::context::Context;
use crate::cli::error::AppError;

/// Runs `netrun lab`.
pub fn run(context: &Context, args: LabArgs) -> Result<u8, AppError> {
    let selection = context.select(&args.select)?;
    let (inv, indices) = (&selection.inventory, &selection.indices);
    let devices = netrun::job::lab_devices(inv, indices, context.platforms()?)?;
    let listen: std::net::SocketAddr = args.listen.parse().map_err(|_| {
        AppError::Config(ConfigError::Invalid {
            what: "--listen".into(),
            reason: format!("`{}` is not an address like 127.0.0.1:0", args.listen),
        })
    })?;
    let write_counters = |counters: &LabCounters| -> Result<(), AppError> {
        if let Some(path) = &args.counters {
            let json = serde_json::to_vec_pretty(counters)
                .map_err(|e| AppError::Output(std::io::Error::other(e)))?;
            // Written whole then renamed, so a reader never sees half a file.
            netrun::host_files::write_atomic(path, |out| out.write_all(&json)).map_err(
                |source| AppError::Write {
                    path: path.clone(),
                    source,
                },
            )?;
        }
        Ok(())
    };
    crate::cli::runtime()?.block_on(async move {
        let lab = Lab::start(devices, listen).await.map_err(AppError::Lab)?;
        let mut table = output::new_table(&["host", "address", "platform"]);
        for ((name, addr), device) in lab.endpoints().iter().zip(indices) {
            let platform = inv.host(*device).platform().and_then(|r| r.value).cloned();
            table.add_row(output::cells([
                name.clone(),
                addr.to_string(),
                platform.unwrap_or_default(),
            ]));
        }
        {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            writeln!(out, "{}", table.trim_fmt())
                .and_then(|()| {
                    writeln!(
                        out,
                        "lab serving {} device{}; Ctrl-C stops it",
                        indices.len(),
                        output::plural(indices.len())
                    )
                })
                .and_then(|()| out.flush())
                .map_err(AppError::Output)?;
        }
        write_counters(&lab.counters())?;
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(AppError::Runtime)?;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = terminate.recv() => break,
                _ = tick.tick() => write_counters(&lab.counters())?,
            }
        }
        // Once more on exit: a run that ended less than a tick ago is otherwise missing.
        write_counters(&lab.shutdown().await)?;
        Ok::<_, AppError>(())
    })?;
    Ok(netrun::exit::OK)
}
