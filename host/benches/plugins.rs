//! Plugin runtime benchmarks (`cargo bench -p questline --bench plugins`), in one run:
//! a call of each plugin kind, wasmtime's own no-op component call (the floor), instantiation
//! from `InstancePre`, and loading a plugin with and without a cached artifact.
//!
//! Plugins: the bundled ones; set `QUESTLINE_BENCH_PLUGIN=/path/to/plugin.wasm` to measure
//! another component as well (its kinds are benchmarked under its own name).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use questline::bundled::BUNDLED;
use questline::plugins::{
    AchievementDef, Activity, ActivityKind, CallContext, CardData, CheckInput, CommandInvocation,
    Difficulty, MemberRun, MemberStats, MemoryKv, MessageDetails, PluginHost, PluginKind,
    PluginsConfig, ProgressStep, QuestCategory, QuestDef, QuestProgress, RefreshCycle, XpContext,
};

fn stats() -> MemberStats {
    MemberStats {
        xp: 1_234,
        level: 5,
        messages: 120,
        voice_time_seconds: 3_600,
        total_messages: 120,
        total_reactions: 30,
        commands_used: 4,
        last_message_time: Some(1_700_000_000_000),
    }
}

fn activity() -> Activity {
    Activity {
        guild: 1,
        channel: 2,
        parent_channel: Some(3),
        user: 4,
        roles: vec![5, 6],
        at: 1_700_000_060_000,
        kind: ActivityKind::Message(MessageDetails {
            message_id: 7,
            length: 42,
        }),
    }
}

fn xp_items(n: usize) -> Vec<XpContext> {
    (0..n)
        .map(|_| XpContext {
            activity: activity(),
            stats: stats(),
            seconds_since_last_award: Some(120),
            xp_rate: 1.0,
        })
        .collect()
}

fn ctx() -> CallContext {
    CallContext::new(1, 1_700_000_060_000, 99)
}

/// One quest and one member's run of one message.
fn quest_input() -> (Vec<QuestDef>, Vec<MemberRun>) {
    let quest = QuestDef {
        id: 1,
        name: "Chatterbox".into(),
        description: "Send 10 messages".into(),
        quest_type: QuestCategory::Daily,
        requirement_type: "total_messages".into(),
        requirement_value: 10,
        reward_xp: 50,
        reward_multiplier: 1.0,
        refresh_cycle: RefreshCycle::Daily,
        difficulty: Difficulty::Easy,
        expires_at: Some(1_700_086_400_000),
    };
    let run = MemberRun {
        current: vec![QuestProgress {
            progress: 3,
            quest_specific_progress: 0,
            completed: false,
        }],
        steps: vec![ProgressStep {
            activity: activity(),
            stats: stats(),
        }],
    };
    (vec![quest], vec![run])
}

fn achievements() -> Vec<AchievementDef> {
    vec![
        AchievementDef {
            id: 1,
            name: "Level 5".into(),
            description: "Reach level 5".into(),
            requirement_type: "level".into(),
            requirement_value: 5,
            reward_xp: 100,
        },
        AchievementDef {
            id: 2,
            name: "Level 10".into(),
            description: "Reach level 10".into(),
            requirement_type: "level".into(),
            requirement_value: 10,
            reward_xp: 200,
        },
    ]
}

fn check_input() -> CheckInput {
    CheckInput {
        user: 4,
        stats: stats(),
        candidates: vec![1, 2],
    }
}

fn card() -> CardData {
    CardData {
        width: 934,
        height: 282,
        display_name: "Bench Member".into(),
        avatar: None,
        level: 5,
        rank: Some(3),
        xp_into_level: 155,
        level_span: 380,
        total_xp: 1_234,
        primary_color: "#5865f2".into(),
        secondary_color: "#2b2d31".into(),
        border_color: "#ffffff".into(),
        text_color: "#ffffff".into(),
        background: None,
        guild_name: "Bench Guild".into(),
    }
}

fn invocation(name: &str) -> CommandInvocation {
    CommandInvocation {
        name: name.into(),
        options: vec![],
        guild: 1,
        channel: 2,
        user: 4,
        roles: vec![],
        at: 1_700_000_060_000,
        stats: stats(),
    }
}

fn host(cache: &Path) -> PluginHost {
    let cfg = PluginsConfig {
        dir: cache.join("plugins"),
        cache_dir: cache.join("cache"),
        breaker_failures: u32::MAX,
        // The bench measures call cost, not limits: on a loaded machine a descheduled thread
        // can outlive the production 50 ms deadline in the middle of a 1 µs call.
        call_timeout_ms: 5_000,
        ..PluginsConfig::default()
    };
    PluginHost::new(&cfg, Arc::new(MemoryKv::new())).expect("plugin host")
}

/// One plugin of each kind: the extra plugin when given, else the first bundled one.
fn pick(host: &PluginHost, kind: PluginKind, extra: Option<&str>) -> Option<String> {
    let names = host.plugins_with_kind(kind);
    extra
        .filter(|e| names.iter().any(|n| n == e))
        .map(str::to_owned)
        .or_else(|| names.into_iter().next())
}

fn kind_calls(c: &mut Criterion, host: &PluginHost, extra: Option<&str>) {
    let ctx = ctx();
    if let Some(p) = pick(host, PluginKind::XpFormula, extra) {
        let one = xp_items(1);
        let hundred = xp_items(100);
        c.bench_function(
            &format!("call/xp-formula/xp-for-activities x1 ({p})"),
            |b| {
                b.iter(|| {
                    host.xp_for_activities_blocking(&p, &ctx, black_box(&one))
                        .unwrap()
                })
            },
        );
        c.bench_function(
            &format!("call/xp-formula/xp-for-activities x100 ({p})"),
            |b| {
                b.iter(|| {
                    host.xp_for_activities_blocking(&p, &ctx, black_box(&hundred))
                        .unwrap()
                })
            },
        );
        c.bench_function(&format!("call/xp-formula/total-xp-for-level ({p})"), |b| {
            b.iter(|| {
                host.total_xp_for_level_blocking(&p, &ctx, black_box(50))
                    .unwrap()
            })
        });
    }
    if let Some(p) = pick(host, PluginKind::QuestType, extra) {
        let (quests, runs) = quest_input();
        c.bench_function(&format!("call/quest-type/progress x1 ({p})"), |b| {
            b.iter(|| {
                host.quest_progress_blocking(&p, &ctx, black_box(&quests), black_box(&runs))
                    .unwrap()
            })
        });
    }
    if let Some(p) = pick(host, PluginKind::AchievementCheck, extra) {
        let (defs, items) = (achievements(), vec![check_input()]);
        c.bench_function(&format!("call/achievement-check/check x1 ({p})"), |b| {
            b.iter(|| {
                host.achievement_check_blocking(&p, &ctx, black_box(&defs), black_box(&items))
                    .unwrap()
            })
        });
    }
    if let Some(p) = pick(host, PluginKind::CardStyle, extra) {
        let styles = host.card_styles_blocking(&p, &ctx).unwrap();
        if let Some(style) = styles.first() {
            let data = card();
            c.bench_function(&format!("call/card-style/render ({p}:{style})"), |b| {
                b.iter(|| {
                    host.card_render_blocking(&p, &ctx, style, black_box(&data))
                        .unwrap()
                })
            });
        }
    }
    if let Some(p) = pick(host, PluginKind::Commands, extra) {
        let specs = host.command_specs_blocking(&p, &ctx).unwrap();
        if let Some(spec) = specs.first() {
            let inv = invocation(&spec.name);
            c.bench_function(&format!("call/commands/run ({p}:/{})", spec.name), |b| {
                b.iter(|| {
                    host.command_run_blocking(&p, &ctx, black_box(&inv))
                        .unwrap()
                })
            });
        }
    }
}

/// The floor: a call of an exported no-op function, straight through wasmtime, with the
/// engine settings the host uses (no concurrency support, epochs on).
fn wasmtime_noop(c: &mut Criterion) {
    use wasmtime::component::{Component, Linker};
    use wasmtime::{Config, Engine, Store};
    let mut config = Config::new();
    config.concurrency_support(false).epoch_interruption(true);
    let engine = Engine::new(&config).unwrap();
    let wasm = wat::parse_str(
        r#"(component
            (core module $m (func (export "noop")))
            (core instance $i (instantiate $m))
            (func (export "noop") (canon lift (core func $i "noop"))))"#,
    )
    .unwrap();
    let component = Component::new(&engine, wasm).unwrap();
    let linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(u64::MAX / 2);
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let noop = instance
        .get_typed_func::<(), ()>(&mut store, "noop")
        .unwrap();
    c.bench_function("wasmtime/no-op component call", |b| {
        b.iter(|| {
            noop.call(&mut store, ()).unwrap();
        })
    });
}

fn benches(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let host = host(tmp.path());
    for (name, err) in host.load_bundled(questline::bundled::BUNDLED) {
        eprintln!("bundled plugin {name} failed to load: {err}");
    }
    let extra_bytes = std::env::var_os("QUESTLINE_BENCH_PLUGIN")
        .map(|p| std::fs::read(&p).unwrap_or_else(|e| panic!("QUESTLINE_BENCH_PLUGIN {p:?}: {e}")));
    let extra = extra_bytes
        .as_deref()
        .map(|b| host.load_bundled_bytes("bench", b).unwrap().name);
    let loaded = host.list();
    if loaded.is_empty() {
        eprintln!("no plugins to benchmark: no bundled plugins and QUESTLINE_BENCH_PLUGIN unset");
    }

    wasmtime_noop(c);
    kind_calls(c, &host, extra.as_deref());

    if let Some(first) = loaded.first() {
        let p = first.name.clone();
        c.bench_function(&format!("host/metadata call ({p})"), |b| {
            b.iter(|| host.metadata_blocking(&p).unwrap())
        });
        c.bench_function(&format!("host/instantiate from InstancePre ({p})"), |b| {
            b.iter(|| host.instantiate_fresh(&p).unwrap())
        });
    }

    let sample: Option<&[u8]> = extra_bytes
        .as_deref()
        .or_else(|| BUNDLED.first().map(|b| b.wasm));
    if let Some(wasm) = sample {
        let path = tmp.path().join("bench.wasm");
        let cache = tmp.path().join("cache");
        let mut group = c.benchmark_group("load");
        group.sample_size(10);
        group.bench_function("uncached (compile)", |b| {
            b.iter_batched(
                || {
                    let _ = std::fs::remove_dir_all(&cache);
                },
                |()| host.check_bytes(wasm, &path).unwrap(),
                BatchSize::PerIteration,
            )
        });
        host.check_bytes(wasm, &path).unwrap();
        group.sample_size(50);
        group.bench_function("cached (deserialize)", |b| {
            b.iter(|| host.check_bytes(wasm, &path).unwrap())
        });
        group.finish();
    }
}

criterion_group!(plugins, benches);
criterion_main!(plugins);
