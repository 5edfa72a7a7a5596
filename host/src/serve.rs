//! One axum server in a background task, stopped gracefully: what the observe endpoint and
//! the web pages both run.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server. Dropping it leaves the server running; call [`Served::stop`].
#[derive(Debug)]
pub struct Served {
    /// The bound address (useful when the configured port was 0).
    pub local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    /// Background work that lives exactly as long as the server (ended by `stop`).
    companions: Vec<JoinHandle<()>>,
}

impl Served {
    /// Binds `addr` and serves `app` until [`Served::stop`]; `what` names it in the log.
    pub async fn start(addr: SocketAddr, app: Router, what: &'static str) -> io::Result<Served> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "{what} stopped");
            }
        });
        tracing::info!(%local_addr, "serving {what}");
        Ok(Served {
            local_addr,
            stop: Some(tx),
            task,
            companions: Vec::new(),
        })
    }

    /// Ends `task` when the server stops.
    pub fn with_companion(mut self, task: JoinHandle<()>) -> Served {
        self.companions.push(task);
        self
    }

    /// Stops accepting connections and waits for the server task.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
        for c in self.companions {
            c.abort();
        }
    }
}
