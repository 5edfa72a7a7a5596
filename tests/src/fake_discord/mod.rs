//! A fake Discord on 127.0.0.1 for running the *real* serenity client in tests: a REST API
//! (hyper) that records every call, and a gateway (WebSocket) that speaks enough of the
//! protocol for serenity 0.12.5: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME.
//!
//! Events are built from the JSON fixtures in `tests/discord-fixtures/` (which
//! `tests/tests/discord/fixtures.rs` checks serenity deserializes, none falling back to `Unknown`), with
//! ids and fields patched per scenario by [`events`]. Every REST call the bot makes can be
//! checked against Discord's OpenAPI description with [`spec::Spec`].

pub mod events;
pub mod harness;
pub mod oauth;
pub mod spec;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub use events::*;

/// The bot's user id in the fixtures.
pub const BOT_ID: u64 = 100_000_000_000_000_900;
/// The application id in the fixtures.
pub const APP_ID: u64 = 100_000_000_000_000_901;
/// The fixtures' guild, channels, roles and members.
pub const GUILD: u64 = 100_000_000_000_000_001;
pub const GENERAL: u64 = 100_000_000_000_000_010;
pub const LEVEL_UPS: u64 = 100_000_000_000_000_011;
pub const QUESTS: u64 = 100_000_000_000_000_012;
pub const VOICE: u64 = 100_000_000_000_000_020;
pub const ALICE: u64 = 200_000_000_000_000_001;
pub const BOB: u64 = 200_000_000_000_000_002;
pub const TOKEN: &str = "fake-token.for-tests";

/// A file part of a multipart request.
#[derive(Debug, Clone)]
pub struct FilePart {
    pub field: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// One REST call the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// Path under `/api/v10`, e.g. `/channels/1/messages`.
    pub path: String,
    /// The JSON body, or a multipart request's `payload_json` part.
    pub json: Option<Value>,
    /// Multipart file parts (`files[n]`).
    pub files: Vec<FilePart>,
    pub multipart: bool,
    /// When the fake received it.
    pub at: std::time::Instant,
    /// The status it was answered with; `None` while held or when the caller went away first.
    pub status: Option<u16>,
}

/// A scripted answer to the next role change: status, headers and JSON body.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Scripted {
    /// A 429 with these headers and Discord's body (`retry_after`, `global`).
    pub fn rate_limited(retry_after: f64, global: bool, headers: &[(&str, &str)]) -> Self {
        Scripted {
            status: 429,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Some(json!({
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": global,
            })),
        }
    }
}

impl Call {
    pub fn is(&self, method: &str, path_prefix: &str) -> bool {
        self.method == method && self.path.starts_with(path_prefix)
    }

    /// `content` of the body (or of an interaction callback's `data`).
    pub fn content(&self) -> Option<String> {
        let j = self.json.as_ref()?;
        j.get("content")
            .or_else(|| j.get("data").and_then(|d| d.get("content")))
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

#[derive(Default)]
struct Shared {
    calls: Mutex<Vec<Call>>,
    /// The current gateway connection's outgoing frames.
    conn: Mutex<Option<mpsc::UnboundedSender<String>>>,
    seq: AtomicU64,
    ids: AtomicU64,
    identified: AtomicU64,
    /// The `intents` of the last IDENTIFY.
    intents: AtomicU64,
    guilds: Mutex<Vec<Value>>,
    gateway_url: Mutex<String>,
    /// Status to answer role changes with (204 unless a test says otherwise).
    role_status: Mutex<Option<u16>>,
    /// Answers for the next role changes, in order (before `role_status`).
    role_script: Mutex<std::collections::VecDeque<Scripted>>,
    /// While set, role changes are recorded and not answered (a request in flight).
    hold_roles: tokio::sync::watch::Sender<bool>,
    /// Answer `GET /users/@me` with 401 (a revoked token).
    reject_token: std::sync::atomic::AtomicBool,
    /// Close codes the bot sent, one per gateway connection it closed (`None`: no code).
    closes: Mutex<Vec<Option<u16>>>,
    /// Files served at `/attachments/<name>` (what Discord's CDN serves for uploads).
    files: Mutex<std::collections::HashMap<String, Vec<u8>>>,
    /// OAuth2 for the web pages' login.
    oauth: Mutex<oauth::OAuth>,
    /// Members' role ids for `GET /guilds/{g}/members/{u}` (anyone not here: 404).
    member_roles: Mutex<std::collections::HashMap<u64, Vec<u64>>>,
}

/// The running fake. Dropping it leaves its tasks to end with the test's runtime.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    rest: SocketAddr,
}

impl FakeDiscord {
    /// Starts REST and gateway on 127.0.0.1 with the fixture guild.
    pub async fn start() -> FakeDiscord {
        Self::start_with(vec![events::guild_create()]).await
    }

    /// Starts with these GUILD_CREATE payloads (`d` objects).
    pub async fn start_with(guilds: Vec<Value>) -> FakeDiscord {
        let shared = Arc::new(Shared::default());
        *shared.guilds.lock().unwrap() = guilds;
        shared.ids.store(700_000_000_000_000_000, Ordering::SeqCst);

        let ws = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind gateway");
        let ws_addr = ws.local_addr().expect("gateway addr");
        *shared.gateway_url.lock().unwrap() = format!("ws://{ws_addr}/gateway");
        tokio::spawn(gateway_loop(ws, shared.clone()));

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind rest");
        listener.set_nonblocking(true).expect("nonblocking");
        let rest = listener.local_addr().expect("rest addr");
        let st = shared.clone();
        let make = make_service_fn(move |_| {
            let st = st.clone();
            async move { Ok::<_, Infallible>(service_fn(move |req| rest_call(st.clone(), req))) }
        });
        let server = hyper::Server::from_tcp(listener)
            .expect("server from tcp")
            .serve(make);
        tokio::spawn(async move {
            if let Err(e) = server.await {
                eprintln!("fake discord REST stopped: {e}");
            }
        });
        FakeDiscord { shared, rest }
    }

    /// The base URL to give the bot (`[discord] api_base`).
    pub fn api_base(&self) -> String {
        format!("http://{}", self.rest)
    }

    /// Every REST call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// Answer role changes with `status` (e.g. 403 Missing Permissions).
    pub fn set_role_status(&self, status: u16) {
        *self.shared.role_status.lock().unwrap() = Some(status);
    }

    /// Answers the next role changes with these, in order (then as before).
    pub fn script_roles(&self, answers: Vec<Scripted>) {
        self.shared.role_script.lock().unwrap().extend(answers);
    }

    /// While `true`, role changes are recorded but not answered, as if Discord were slow.
    pub fn hold_roles(&self, hold: bool) {
        self.shared.hold_roles.send_replace(hold);
    }

    /// Serves `bytes` at `/attachments/<name>` (as Discord's CDN serves an uploaded file)
    /// and returns its URL.
    pub fn serve_file(&self, name: &str, bytes: Vec<u8>) -> String {
        self.shared
            .files
            .lock()
            .unwrap()
            .insert(name.to_string(), bytes);
        format!("{}/attachments/{name}", self.api_base())
    }

    /// Who approves on the OAuth consent page from now on (as if logged in to Discord).
    pub fn oauth_user(&self, user: oauth::OAuthUser) {
        self.shared.oauth.lock().unwrap().user = Some(user);
    }

    /// Makes `user` a member of the fixture guilds with these roles, for
    /// `GET /guilds/{g}/members/{user}` (what the bot asks to check permissions).
    pub fn set_member_roles(&self, user: u64, roles: Vec<u64>) {
        self.shared.member_roles.lock().unwrap().insert(user, roles);
    }

    /// Answer `GET /users/@me` with 401.
    pub fn reject_token(&self) {
        self.shared.reject_token.store(true, Ordering::SeqCst);
    }

    /// The gateway intents the client identified with.
    pub fn intents(&self) -> u64 {
        self.shared.intents.load(Ordering::SeqCst)
    }

    /// How many times a client identified.
    pub fn identified(&self) -> u64 {
        self.shared.identified.load(Ordering::SeqCst)
    }

    /// Waits until the bot identified and got READY and the guilds.
    pub async fn wait_ready(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.identified() == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bot never identified on the fake gateway"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Invalidates the current gateway session (op 9, not resumable), as Discord does.
    pub fn invalidate_session(&self) {
        let conn = self.shared.conn.lock().unwrap();
        let tx = conn.as_ref().expect("no gateway connection");
        tx.send(json!({"op": 9, "d": false}).to_string())
            .expect("gateway connection closed");
    }

    /// The close codes the bot sent, in order (one per connection it closed).
    pub fn closes(&self) -> Vec<Option<u16>> {
        self.shared.closes.lock().unwrap().clone()
    }

    /// Sends a dispatch event on the current gateway connection.
    pub fn dispatch(&self, event: &str, d: Value) {
        let seq = self.shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let frame = json!({"op": 0, "s": seq, "t": event, "d": d}).to_string();
        let conn = self.shared.conn.lock().unwrap();
        let tx = conn.as_ref().expect("no gateway connection");
        tx.send(frame).expect("gateway connection closed");
    }

    /// Waits for a call matching `pred` (checking every 20 ms).
    pub async fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Call) -> bool,
    ) -> Call {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(c) = self.calls().into_iter().find(|c| pred(c)) {
                return c;
            }
            if tokio::time::Instant::now() >= deadline {
                let seen: Vec<String> = self
                    .calls()
                    .iter()
                    .map(|c| format!("{} {} {:?}", c.method, c.path, c.content()))
                    .collect();
                panic!(
                    "timed out waiting for {what}; calls so far:\n{}",
                    seen.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn next_id(&self) -> u64 {
        self.shared.ids.fetch_add(1, Ordering::SeqCst)
    }

    /// A fresh snowflake for events (message ids, interaction ids).
    pub fn id(&self) -> u64 {
        self.next_id()
    }
}

async fn gateway_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (mut sink, mut stream) = ws.split();
            let (tx, mut rx) = mpsc::unbounded_channel::<String>();
            *shared.conn.lock().unwrap() = Some(tx.clone());
            let writer = tokio::spawn(async move {
                while let Some(frame) = rx.recv().await {
                    if sink.send(WsMessage::Text(frame)).await.is_err() {
                        break;
                    }
                }
                let _ = sink.close().await;
            });
            let _ = tx.send(json!({"op": 10, "d": {"heartbeat_interval": 41_250}}).to_string());
            while let Some(Ok(msg)) = stream.next().await {
                let text = match msg {
                    WsMessage::Text(t) => t,
                    WsMessage::Close(frame) => {
                        shared
                            .closes
                            .lock()
                            .unwrap()
                            .push(frame.map(|f| u16::from(f.code)));
                        break;
                    }
                    _ => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                match v.get("op").and_then(Value::as_u64) {
                    Some(1) => {
                        let _ = tx.send(json!({"op": 11}).to_string());
                    }
                    Some(2) => {
                        if let Some(bits) = v.pointer("/d/intents").and_then(Value::as_u64) {
                            shared.intents.store(bits, Ordering::SeqCst);
                        }
                        let mut ready = events::ready();
                        ready["resume_gateway_url"] =
                            json!(shared.gateway_url.lock().unwrap().clone());
                        let guilds: Vec<Value> = shared.guilds.lock().unwrap().clone();
                        ready["guilds"] = Value::Array(
                            guilds
                                .iter()
                                .map(|g| json!({"id": g["id"], "unavailable": true}))
                                .collect(),
                        );
                        let mut frames = vec![("READY", ready)];
                        frames.extend(guilds.into_iter().map(|g| ("GUILD_CREATE", g)));
                        for (t, d) in frames {
                            let s = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
                            let _ = tx.send(json!({"op": 0, "s": s, "t": t, "d": d}).to_string());
                        }
                        shared.identified.fetch_add(1, Ordering::SeqCst);
                    }
                    Some(6) => {
                        let _ = tx.send(json!({"op": 9, "d": false}).to_string());
                    }
                    _ => {}
                }
            }
            writer.abort();
        });
    }
}

fn respond(status: u16, body: Option<Value>) -> Response<Body> {
    let mut r = Response::builder().status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
    match body {
        Some(v) => {
            r = r.header("content-type", "application/json");
            r.body(Body::from(v.to_string())).expect("response")
        }
        None => r.body(Body::empty()).expect("response"),
    }
}

/// Splits a multipart body into `(headers, body)` parts.
fn multipart_parts(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let delim = format!("--{boundary}");
    let d = delim.as_bytes();
    let mut parts = Vec::new();
    let mut positions = Vec::new();
    let mut i = 0;
    while i + d.len() <= body.len() {
        if &body[i..i + d.len()] == d {
            positions.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    for w in positions.windows(2) {
        let mut part = &body[w[0] + d.len()..w[1]];
        if part.starts_with(b"\r\n") {
            part = &part[2..];
        }
        if part.ends_with(b"\r\n") {
            part = &part[..part.len() - 2];
        }
        let Some(split) = part.windows(4).position(|x| x == b"\r\n\r\n") else {
            continue;
        };
        let headers = String::from_utf8_lossy(&part[..split]).to_string();
        parts.push((headers, part[split + 4..].to_vec()));
    }
    parts
}

fn header_param(headers: &str, key: &str) -> Option<String> {
    let needle = format!("{key}=\"");
    let start = headers.find(&needle)? + needle.len();
    let end = headers[start..].find('"')? + start;
    Some(headers[start..end].to_string())
}

async fn rest_call(shared: Arc<Shared>, req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let method = req.method().to_string();
    let full = req.uri().path().to_string();
    let path = full.strip_prefix("/api/v10").unwrap_or(&full).to_string();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let query = oauth::pairs(req.uri().query().unwrap_or(""));
    let body = hyper::body::to_bytes(req.into_body())
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let mut call = Call {
        method: method.clone(),
        path: path.clone(),
        json: None,
        files: Vec::new(),
        multipart: false,
        at: std::time::Instant::now(),
        status: None,
    };
    if let Some(boundary) = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .map(|b| b.trim_matches('"').to_string())
    {
        call.multipart = true;
        for (headers, bytes) in multipart_parts(&body, &boundary) {
            let name = header_param(&headers, "name").unwrap_or_default();
            if name == "payload_json" {
                call.json = serde_json::from_slice(&bytes).ok();
            } else {
                let ct = headers
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("Content-Type: ")
                            .or(l.strip_prefix("content-type: "))
                    })
                    .map(str::to_string);
                call.files.push(FilePart {
                    field: name,
                    filename: header_param(&headers, "filename"),
                    content_type: ct,
                    bytes,
                });
            }
        }
    } else if !body.is_empty() {
        call.json = serde_json::from_slice(&body).ok();
    }
    let json_body = call.json.clone();
    let index = {
        let mut calls = shared.calls.lock().unwrap();
        calls.push(call);
        calls.len() - 1
    };

    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let next_id = || shared.ids.fetch_add(1, Ordering::SeqCst);
    let bearer = shared
        .oauth
        .lock()
        .unwrap()
        .bearer(authorization.as_deref())
        .cloned();
    let response = match (method.as_str(), seg.as_slice()) {
        ("GET", ["oauth2", "authorize"]) => shared.oauth.lock().unwrap().authorize_page(&query),
        ("GET", ["oauth2", "authorize", "approve"]) => shared.oauth.lock().unwrap().approve(&query),
        ("POST", ["oauth2", "token"]) => {
            let form = oauth::pairs(&String::from_utf8_lossy(&body));
            shared
                .oauth
                .lock()
                .unwrap()
                .token(&form, authorization.as_deref())
        }
        ("GET", ["users", "@me"]) if bearer.is_some() => {
            respond(200, bearer.as_ref().map(oauth::user_json))
        }
        ("GET", ["users", "@me", "guilds"]) => match &bearer {
            Some(u) => respond(200, Some(oauth::guilds_json(u))),
            None => respond(
                401,
                Some(json!({"message": "401: Unauthorized", "code": 0})),
            ),
        },
        ("GET", ["users", "@me"]) => {
            if shared.reject_token.load(Ordering::SeqCst) {
                respond(
                    401,
                    Some(json!({"message": "401: Unauthorized", "code": 0})),
                )
            } else {
                respond(200, Some(events::bot_user()))
            }
        }
        ("GET", ["attachments", name]) => match shared.files.lock().unwrap().get(*name) {
            Some(bytes) => Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from(bytes.clone()))
                .expect("response"),
            None => respond(404, Some(json!({"message": "404: Not Found", "code": 0}))),
        },
        ("GET", ["guilds", guild, what @ ("channels" | "roles")]) => {
            let guilds = shared.guilds.lock().unwrap().clone();
            match guilds.iter().find(|g| g["id"].as_str() == Some(*guild)) {
                Some(g) => {
                    let mut list = g[*what].as_array().cloned().unwrap_or_default();
                    if *what == "channels" {
                        for c in &mut list {
                            c["guild_id"] = json!(guild);
                        }
                    }
                    respond(200, Some(Value::Array(list)))
                }
                None => respond(
                    404,
                    Some(json!({"message": "Unknown Guild", "code": 10004})),
                ),
            }
        }
        ("GET", ["guilds", _guild, "members", user]) => {
            let roles = user
                .parse::<u64>()
                .ok()
                .and_then(|u| shared.member_roles.lock().unwrap().get(&u).cloned());
            match roles {
                Some(roles) => respond(
                    200,
                    Some(json!({
                        "user": {"id": user, "username": format!("user{user}"), "discriminator": "0", "global_name": null, "avatar": null},
                        "nick": null, "avatar": null,
                        "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                        "joined_at": "2026-01-01T00:00:00.000000+00:00", "premium_since": null,
                        "deaf": false, "mute": false, "flags": 0, "pending": false
                    })),
                ),
                None => respond(
                    404,
                    Some(json!({"message": "Unknown Member", "code": 10007})),
                ),
            }
        }
        ("GET", ["oauth2", "applications", "@me"]) => respond(200, Some(events::application())),
        ("GET", ["gateway"]) => respond(
            200,
            Some(json!({"url": shared.gateway_url.lock().unwrap().clone()})),
        ),
        ("GET", ["gateway", "bot"]) => respond(
            200,
            Some(json!({
                "url": shared.gateway_url.lock().unwrap().clone(),
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            })),
        ),
        ("PUT", ["applications", _app, "commands"])
        | ("PUT", ["applications", _app, "guilds", _, "commands"]) => {
            let guild = seg.get(3).filter(|_| seg.len() == 5).map(|g| g.to_string());
            let list = json_body
                .as_ref()
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let out: Vec<Value> = list
                .into_iter()
                .map(|mut c| {
                    c["id"] = json!(next_id().to_string());
                    c["application_id"] = json!(APP_ID.to_string());
                    c["version"] = json!(next_id().to_string());
                    if c.get("type").is_none() {
                        c["type"] = json!(1);
                    }
                    if let Some(g) = &guild {
                        c["guild_id"] = json!(g);
                    }
                    c
                })
                .collect();
            respond(200, Some(Value::Array(out)))
        }
        ("POST", ["users", "@me", "channels"]) => {
            // A DM channel per recipient: 900… + the user's last digits.
            let recipient = json_body
                .as_ref()
                .and_then(|j| j["recipient_id"].as_str())
                .and_then(|r| r.parse::<u64>().ok());
            match recipient {
                Some(r) => respond(
                    200,
                    Some(json!({
                        "id": dm_channel(r).to_string(), "type": 1, "last_message_id": null,
                        "recipients": [{"id": r.to_string(), "username": "member", "discriminator": "0", "global_name": null, "avatar": null}]
                    })),
                ),
                None => respond(
                    400,
                    Some(json!({"message": "Invalid Form Body", "code": 50035})),
                ),
            }
        }
        ("POST", ["channels", channel, "messages"]) => {
            let mut m = events::message_object();
            m["id"] = json!(next_id().to_string());
            m["channel_id"] = json!(channel);
            if let Some(c) = json_body.as_ref().and_then(|j| j.get("content")) {
                m["content"] = c.clone();
            }
            respond(200, Some(m))
        }
        ("POST", ["interactions", _, _, "callback"]) => respond(204, None),
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => {
            let mut m = events::message_object();
            m["id"] = json!(next_id().to_string());
            if let Some(c) = json_body.as_ref().and_then(|j| j.get("content")) {
                m["content"] = c.clone();
            }
            respond(200, Some(m))
        }
        ("DELETE", ["webhooks", _, _, "messages", "@original"]) => respond(204, None),
        ("POST", ["webhooks", _, _]) => {
            let mut m = events::message_object();
            m["id"] = json!(next_id().to_string());
            if let Some(body) = json_body.as_ref() {
                for key in ["content", "flags", "embeds"] {
                    if let Some(v) = body.get(key) {
                        m[key] = v.clone();
                    }
                }
            }
            respond(200, Some(m))
        }
        ("PUT", ["guilds", _, "members", _, "roles", _])
        | ("DELETE", ["guilds", _, "members", _, "roles", _]) => {
            let mut held = shared.hold_roles.subscribe();
            // Returns when released; dropped with the connection if the caller goes away.
            let _ = held.wait_for(|hold| !*hold).await;
            let scripted = shared.role_script.lock().unwrap().pop_front();
            if let Some(a) = scripted {
                let mut r = Response::builder()
                    .status(StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK));
                for (k, v) in &a.headers {
                    r = r.header(k.as_str(), v.as_str());
                }
                let r = match a.body {
                    Some(b) => r
                        .header("content-type", "application/json")
                        .body(Body::from(b.to_string())),
                    None => r.body(Body::empty()),
                };
                shared.calls.lock().unwrap()[index].status = Some(a.status);
                return Ok(r.expect("response"));
            }
            match *shared.role_status.lock().unwrap() {
                Some(403) => respond(
                    403,
                    Some(json!({"message": "Missing Permissions", "code": 50013})),
                ),
                Some(s) if s >= 400 => respond(s, Some(json!({"message": "error", "code": 0}))),
                _ => respond(204, None),
            }
        }
        _ => respond(404, Some(json!({"message": "404: Not Found", "code": 0}))),
    };
    shared.calls.lock().unwrap()[index].status = Some(response.status().as_u16());
    Ok(response)
}

/// The id of the fake's DM channel with `user`.
pub fn dm_channel(user: u64) -> u64 {
    900_000_000_000_000_000 + user % 1_000_000
}
