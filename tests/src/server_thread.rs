//! A server loop on its own thread and Tokio runtime, listening on `127.0.0.1:0`, stopped
//! (and waited for) on [`ServerThread::stop`] or drop. Serves both the `idplex` host and the
//! composed Spin app in the tests.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::Context as _;

/// Resolves when the server should shut down.
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A running server loop.
pub struct ServerThread {
    /// Its origin, e.g. `http://127.0.0.1:34567`.
    pub url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerThread {
    /// Binds `127.0.0.1:0` and runs `serve(listener, shutdown)` until stopped.
    pub fn spawn<F, Fut>(serve: F) -> anyhow::Result<ServerThread>
    where
        F: FnOnce(tokio::net::TcpListener, Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let bound = tokio::net::TcpListener::bind("127.0.0.1:0").await;
                let listener = match bound.and_then(|l| l.local_addr().map(|addr| (l, addr))) {
                    Ok((listener, addr)) => {
                        let _ = addr_tx.send(Ok(addr));
                        listener
                    }
                    Err(e) => {
                        let _ = addr_tx.send(Err(e));
                        return;
                    }
                };
                serve(
                    listener,
                    Box::pin(async move {
                        let _ = shutdown_rx.await;
                    }),
                )
                .await;
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(60)).context("the server did not start")??;
        Ok(ServerThread { url: format!("http://{addr}"), shutdown: Some(shutdown_tx), thread: Some(thread) })
    }

    /// Stops the server and waits until it has shut down.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}
