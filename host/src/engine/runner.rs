//! [`Engine`]: the bounded queue in front of a [`Pipeline`], and the task that batches it.
//!
//! `submit` waits when the queue is full (backpressure: the gateway slows down rather than
//! the bot dropping activity); `try_submit` refuses instead and counts the drop. The task
//! collects the next batch while the previous one is processed (group commit): a batch goes
//! when the pipeline is free and it is full, or its first event has used its latency budget
//! (see `engine/cycle.rs`). It also runs
//! periodic work (voice credit, quest resets, retries) every `tick_secs`. `flush` and `tick` let the console and tests wait for a known state.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::activity::Activity;
use super::config::EngineConfig;
use super::cycle::BatchCycle;
use super::error::EngineError;
use super::metrics::{CounterSnapshot, EngineCounters};
use super::pipeline::{EngineDeps, Pipeline};

enum Msg {
    /// Sequence number, when it was submitted, the activity.
    Activity(u64, Instant, Activity),
    Flush(oneshot::Sender<()>),
    Tick(oneshot::Sender<()>),
}

/// The running engine. Dropping it without [`Engine::shutdown`] stops the task after the
/// queue drains.
pub struct Engine {
    tx: mpsc::Sender<Msg>,
    /// Wakes the task while a batch lingers, so a flush, tick or shutdown is not held back.
    poke: Arc<Notify>,
    task: JoinHandle<()>,
    pipeline: Arc<Pipeline>,
    counters: Arc<EngineCounters>,
    seq: AtomicU64,
    capacity: usize,
}

impl Engine {
    /// Starts the engine's task. Quest resets missed while the bot was down are applied to
    /// `guilds` now (other guilds get theirs before their first activity is processed).
    pub async fn start(
        deps: EngineDeps,
        config: EngineConfig,
        guilds: &[u64],
    ) -> Result<Engine, EngineError> {
        let counters = Arc::new(EngineCounters::default());
        let pipeline = Arc::new(Pipeline::new(deps, config.clone(), counters.clone()));
        // Resets missed while the bot was down: every guild the database knows, plus the
        // ones the front names. A guild whose catch-up fails is retried on its next
        // activity rather than keeping the bot from starting.
        let mut all: Vec<u64> = pipeline.db.list_guilds().await?;
        all.extend_from_slice(guilds);
        all.sort_unstable();
        all.dedup();
        for g in all {
            if let Err(e) = pipeline.ensure_guild(g).await {
                if guilds.contains(&g) {
                    return Err(e);
                }
                tracing::warn!(guild = g, error = %e, "quest catch-up failed at start-up; retried when the guild is next active");
            }
        }
        // The catch-up above was the scheduler's first run.
        let heartbeat = pipeline.heartbeat();
        heartbeat.start();
        heartbeat.beat(chrono::Utc::now());
        let capacity = config.queue_capacity.max(1);
        let (tx, rx) = mpsc::channel(capacity);
        let poke = Arc::new(Notify::new());
        let task = tokio::spawn(run(pipeline.clone(), rx, poke.clone(), config));
        Ok(Engine {
            tx,
            poke,
            task,
            pipeline,
            counters,
            seq: AtomicU64::new(0),
            capacity,
        })
    }

    /// Queues an activity, waiting while the queue is full.
    pub async fn submit(&self, activity: Activity) -> Result<(), EngineError> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        EngineCounters::add(&self.counters.submitted, 1);
        self.tx
            .send(Msg::Activity(seq, Instant::now(), activity))
            .await
            .map_err(|_| {
                EngineCounters::add(&self.counters.dropped, 1);
                EngineError::Closed
            })
    }

    /// Queues an activity if there is room; otherwise counts it as dropped and says so.
    pub fn try_submit(&self, activity: Activity) -> Result<(), EngineError> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        EngineCounters::add(&self.counters.submitted, 1);
        self.tx
            .try_send(Msg::Activity(seq, Instant::now(), activity))
            .map_err(|e| {
                EngineCounters::add(&self.counters.dropped, 1);
                match e {
                    mpsc::error::TrySendError::Full(_) => EngineError::QueueFull(self.capacity),
                    mpsc::error::TrySendError::Closed(_) => EngineError::Closed,
                }
            })
    }

    /// Waits until everything submitted before this call is committed and announced.
    pub async fn flush(&self) -> Result<(), EngineError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Msg::Flush(tx))
            .await
            .map_err(|_| EngineError::Closed)?;
        self.poke.notify_one();
        rx.await.map_err(|_| EngineError::Closed)
    }

    /// Flushes, then runs the periodic work now (quest resets due at the clock's time, voice
    /// credit, retries): what the console does after `:advance`.
    pub async fn tick(&self) -> Result<(), EngineError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Msg::Tick(tx))
            .await
            .map_err(|_| EngineError::Closed)?;
        self.poke.notify_one();
        rx.await.map_err(|_| EngineError::Closed)
    }

    /// The pipeline (QuestManager, plugin caches) for read-only views such as `/quests`.
    /// A moderator's XP change, applied and audited at once (not queued); see
    /// [`super::manual_xp`].
    pub async fn adjust_xp(
        &self,
        guild: u64,
        user: u64,
        change: super::manual_xp::XpChange,
        actor: u64,
        reason: Option<String>,
    ) -> Result<super::manual_xp::XpAdjusted, EngineError> {
        self.pipeline
            .adjust_xp(guild, user, change, actor, reason)
            .await
    }

    /// The pipeline, for a front that outlives a borrow of the engine (the web pages).
    pub fn shared_pipeline(&self) -> Arc<Pipeline> {
        self.pipeline.clone()
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    pub fn counters(&self) -> CounterSnapshot {
        self.counters.snapshot()
    }

    /// The live counters, for a metrics endpoint that outlives borrows of the engine.
    pub fn shared_counters(&self) -> Arc<EngineCounters> {
        self.counters.clone()
    }

    /// The quest scheduler's heartbeat (`/healthz`): running until the engine's task ends,
    /// beaten after every successful run of due resets.
    pub fn heartbeat(&self) -> questline_metrics::Heartbeat {
        self.pipeline.heartbeat().clone()
    }

    /// Whether the engine takes activity, and why not (`/healthz`).
    pub fn intake(&self) -> questline_metrics::Intake {
        self.pipeline.intake().clone()
    }

    /// Processes everything queued, stops the task and returns the final counters.
    pub async fn shutdown(self) -> CounterSnapshot {
        drop(self.tx);
        self.poke.notify_one();
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "engine task ended abnormally");
        }
        self.counters.snapshot()
    }
}

/// Marks the scheduler stopped when the engine's task ends, however it ends (a panic too).
struct StopOnDrop(questline_metrics::Heartbeat);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// How often held activity is retried while the database's storage is full.
const STORAGE_PROBE: Duration = Duration::from_secs(1);

/// A batch being processed in its own task while the next one is collected.
type InFlight = JoinHandle<()>;

/// Waits for the batch in flight, if any (a panic in it is logged: the engine goes on).
async fn settle(inflight: &mut Option<InFlight>) {
    if let Some(task) = inflight.take()
        && let Err(e) = task.await
    {
        tracing::error!(error = %e, "a batch's processing ended abnormally");
    }
}

/// The batch being collected: its events, when each was submitted, and when it may go.
#[derive(Default)]
struct Collecting {
    batch: Vec<(u64, Activity)>,
    submitted: Vec<Instant>,
    /// When the batch may go even if not full (None: no batch yet).
    deadline: Option<Instant>,
}

impl Collecting {
    /// Whether the batch waits for its deadline (and is not full): meanwhile the queue is not
    /// read message by message, so a submission does not wake the engine's task.
    fn lingering(&self, max: usize) -> bool {
        self.batch.len() < max && self.deadline.is_some_and(|d| d > Instant::now())
    }
}

/// The engine's task: collects the next batch while the previous one is processed (group
/// commit). A batch is handed over as soon as the pipeline is free and either it is full or
/// its first event has waited the budget (`batch_max_wait_ms`) less what batches currently
/// take to process ([`BatchCycle`]). So under load batches grow with the backlog, and at
/// moderate load an event is committed about when its budget runs out, in a batch that holds
/// everything that arrived meanwhile. While a batch waits for its deadline, what arrives stays
/// in the queue and is taken all at once when the deadline comes (a flush or tick request
/// pokes the task so it is not held back): one wake-up of this task per batch instead of one
/// per event.
async fn run(
    pipeline: Arc<Pipeline>,
    mut rx: mpsc::Receiver<Msg>,
    poke: Arc<Notify>,
    config: EngineConfig,
) {
    let _stopped = StopOnDrop(pipeline.heartbeat().clone());
    let max = config.batch_max_events.max(1);
    let mut cycle = BatchCycle::new(Duration::from_millis(config.batch_max_wait_ms));
    // When the batch in flight was handed over (its processing time feeds the cycle).
    let mut dispatched_at = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs(config.tick_secs.max(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    let mut c = Collecting::default();
    let mut inflight: Option<InFlight> = None;
    // While paused: when held activity is tried again.
    let mut probe_at: Option<Instant> = None;
    // Set when the queue is empty and closed: the last batch is processed and the task ends.
    let mut closed = false;
    // Set by a poke: take what is queued now, lingering or not.
    let mut poked = false;
    loop {
        // What queued while the batch lingered, once it is due (or a flush asks for it).
        if poked || !c.lingering(max) {
            poked = false;
            while c.batch.len() < max {
                match rx.try_recv() {
                    Ok(msg) => take(msg, &mut c, &cycle, &pipeline, &mut inflight).await,
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        closed = true;
                        break;
                    }
                }
            }
        }
        if closed {
            settle(&mut inflight).await;
            process(&pipeline, &mut c.batch, &mut c.submitted).await;
            break;
        }
        // While the database cannot store anything, batches are not dispatched: the one being
        // collected stops at `batch_max_events`, the queue behind it fills and submitters
        // wait (backpressure), and what is held is retried every STORAGE_PROBE.
        let paused = pipeline.intake().paused().is_some();
        if !paused {
            probe_at = None;
        } else if probe_at.is_none() {
            probe_at = Some(Instant::now() + STORAGE_PROBE);
        }
        if inflight.is_none()
            && !paused
            && !c.batch.is_empty()
            && (c.batch.len() >= max || c.deadline.is_some_and(|d| d <= Instant::now()))
        {
            inflight = Some(dispatch(&pipeline, &mut c.batch, &mut c.submitted));
            dispatched_at = Instant::now();
            c.deadline = None;
        }
        let idle = inflight.is_none();
        let lingering = c.lingering(max);
        let deadline = c.deadline;
        let timeout = async {
            match (probe_at, deadline) {
                (Some(p), _) if idle => tokio::time::sleep_until(p).await,
                (None, Some(d)) if idle || lingering => tokio::time::sleep_until(d).await,
                _ => std::future::pending().await,
            }
        };
        let finished = async {
            match inflight.as_mut() {
                Some(task) => task.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            result = finished => {
                inflight = None;
                cycle.record(dispatched_at.elapsed());
                if let Err(e) = result {
                    tracing::error!(error = %e, "a batch's processing ended abnormally");
                }
            }
            msg = rx.recv(), if c.batch.len() < max && !lingering => match msg {
                None => closed = true,
                Some(msg) => take(msg, &mut c, &cycle, &pipeline, &mut inflight).await,
            },
            () = poke.notified(), if lingering => poked = true,
            () = timeout => {
                if probe_at.is_some_and(|p| p <= Instant::now()) {
                    // Paused: retry what is held (and the batch collected meanwhile).
                    probe_at = None;
                    process(&pipeline, &mut c.batch, &mut c.submitted).await;
                    c.deadline = None;
                }
            }
            _ = ticker.tick() => {
                settle(&mut inflight).await;
                process(&pipeline, &mut c.batch, &mut c.submitted).await;
                c.deadline = None;
                pipeline.tick().await;
            }
        }
    }
}

/// Takes one message from the queue: an activity joins the batch being collected; a flush
/// or tick first processes everything before it.
async fn take(
    msg: Msg,
    c: &mut Collecting,
    cycle: &BatchCycle,
    pipeline: &Pipeline,
    inflight: &mut Option<InFlight>,
) {
    match msg {
        Msg::Activity(seq, at, a) => {
            if c.batch.is_empty() {
                // From when it was submitted: time spent in the queue counts.
                c.deadline = Some(at + cycle.linger());
            }
            c.batch.push((seq, a));
            c.submitted.push(at);
        }
        Msg::Flush(done) => {
            settle(inflight).await;
            process(pipeline, &mut c.batch, &mut c.submitted).await;
            c.deadline = None;
            let _ = done.send(());
        }
        Msg::Tick(done) => {
            settle(inflight).await;
            process(pipeline, &mut c.batch, &mut c.submitted).await;
            c.deadline = None;
            pipeline.tick().await;
            let _ = done.send(());
        }
    }
}

/// Hands the collected batch to its own task.
fn dispatch(
    pipeline: &Arc<Pipeline>,
    batch: &mut Vec<(u64, Activity)>,
    submitted: &mut Vec<Instant>,
) -> InFlight {
    let pipeline = pipeline.clone();
    let mut batch = std::mem::take(batch);
    let mut submitted = std::mem::take(submitted);
    tokio::spawn(async move { process(&pipeline, &mut batch, &mut submitted).await })
}

/// Runs the batch and records its size and each event's latency from submission to commit
/// (and announcement).
async fn process(
    pipeline: &Pipeline,
    batch: &mut Vec<(u64, Activity)>,
    submitted: &mut Vec<Instant>,
) {
    let counters = &pipeline.counters;
    if !batch.is_empty() {
        counters.batch_sizes.record(batch.len() as u64);
        counters.batch_events.record(batch.len() as u64);
    }
    pipeline.process(std::mem::take(batch)).await;
    let done = Instant::now();
    for at in submitted.drain(..) {
        let us = u64::try_from(done.duration_since(at).as_micros()).unwrap_or(u64::MAX);
        counters.event_latency.record(us);
        counters.event_seconds.record(us);
    }
}
