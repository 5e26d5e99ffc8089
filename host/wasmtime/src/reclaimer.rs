//! Background reclamation: while [`crate::serve`] runs, a task calls the component's
//! `maintenance.reclaim` step after step as long as deleted connections' data is pending, and
//! looks again every [`IDLE_POLL`] otherwise (one store call). Each step deletes about
//! [`BACKGROUND_BUDGET`] keys at most, on a blocking thread and an instance slot of its own,
//! so requests are never held up for long behind it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::host::Host;

/// Keys one background step deletes at most (about).
pub const BACKGROUND_BUDGET: u32 = 20_000;

/// How often the task looks for pending work when there is none.
pub const IDLE_POLL: Duration = Duration::from_secs(1);

/// How long the task waits when another step holds the reclamation lease.
const BUSY_WAIT: Duration = Duration::from_millis(200);

/// How long the task waits after a failed step (store outage) before trying again.
const ERROR_BACKOFF: Duration = Duration::from_secs(5);

/// What a run of steps reclaimed, from the first step that found work to the last.
#[derive(Default)]
struct Run {
    started: Option<Instant>,
    steps: u64,
    keys: u64,
    connections: u64,
}

/// Runs until the task is aborted (when the server stops).
pub async fn run(host: Arc<Host>) {
    let mut run = Run::default();
    loop {
        let stepper = Arc::clone(&host);
        let wait = match tokio::task::spawn_blocking(move || stepper.reclaim(BACKGROUND_BUDGET)).await {
            Ok(Ok(progress)) if progress.busy => BUSY_WAIT,
            Ok(Ok(progress)) => {
                if progress.reclaimed_keys > 0 || progress.finished_connections > 0 {
                    run.started.get_or_insert_with(Instant::now);
                    run.steps += 1;
                    run.keys += progress.reclaimed_keys;
                    run.connections += progress.finished_connections;
                }
                if progress.pending > 0 {
                    continue;
                }
                if let Some(started) = run.started.take() {
                    tracing::info!(
                        connections = run.connections,
                        keys = run.keys,
                        steps = run.steps,
                        duration_ms = started.elapsed().as_millis() as u64,
                        "reclaimed the stored data of deleted connections"
                    );
                    run = Run::default();
                }
                IDLE_POLL
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "a reclamation step failed; trying again later");
                ERROR_BACKOFF
            }
            Err(e) => {
                tracing::error!(error = %e, "a reclamation step panicked");
                ERROR_BACKOFF
            }
        };
        tokio::time::sleep(wait).await;
    }
}
