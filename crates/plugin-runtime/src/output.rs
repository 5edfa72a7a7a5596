//! Plugin stdout/stderr: sent to tracing line by line, tagged with the plugin's name, and
//! bounded per call so a chatty plugin cannot flood the logs. Writes past the budget are
//! accepted and dropped (never an error), so a guest's `println!` cannot trap because of it.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Largest write accepted at once (what WASI streams typically allow).
const WRITE_PERMIT: usize = 64 * 1024;

/// The per-store output budget, refilled before each call.
#[derive(Debug)]
pub(crate) struct OutputBudget {
    remaining: AtomicUsize,
    per_call: usize,
}

impl OutputBudget {
    pub(crate) fn new(per_call: usize) -> Arc<Self> {
        Arc::new(Self {
            remaining: AtomicUsize::new(per_call),
            per_call,
        })
    }

    pub(crate) fn refill(&self) {
        self.remaining.store(self.per_call, Ordering::Relaxed);
    }

    /// Takes up to `want` bytes from the budget; returns how many may be logged.
    fn take(&self, want: usize) -> usize {
        let mut granted = 0;
        let _ = self
            .remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                granted = left.min(want);
                Some(left - granted)
            });
        granted
    }
}

/// One of a plugin's output streams.
#[derive(Clone)]
pub(crate) struct TracingOutput {
    plugin: Arc<str>,
    stream: &'static str,
    budget: Arc<OutputBudget>,
    /// A partial line waiting for its newline.
    pending: Arc<Mutex<Vec<u8>>>,
}

impl TracingOutput {
    pub(crate) fn new(plugin: Arc<str>, stream: &'static str, budget: Arc<OutputBudget>) -> Self {
        Self {
            plugin,
            stream,
            budget,
            pending: Arc::default(),
        }
    }

    fn accept(&self, bytes: &[u8]) {
        let allowed = self.budget.take(bytes.len());
        if allowed == 0 {
            return;
        }
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        pending.extend_from_slice(&bytes[..allowed]);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            self.emit(&line[..line.len() - 1]);
        }
        if allowed < bytes.len() && !pending.is_empty() {
            let rest = std::mem::take(&mut *pending);
            self.emit(&rest);
        }
    }

    fn emit(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        tracing::info!(plugin = %self.plugin, stream = self.stream, "{}", text.trim_end());
    }
}

impl IsTerminal for TracingOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for TracingOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for TracingOutput {
    async fn ready(&mut self) {}
}

#[wasmtime_wasi::async_trait]
impl OutputStream for TracingOutput {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.accept(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

impl tokio::io::AsyncWrite for TracingOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.accept(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_bounded_and_refills() {
        let budget = OutputBudget::new(10);
        assert_eq!(budget.take(4), 4);
        assert_eq!(budget.take(10), 6);
        assert_eq!(budget.take(1), 0);
        budget.refill();
        assert_eq!(budget.take(3), 3);
    }
}
