//! Discord login on the web pages against the fake Discord's OAuth2, and the access matrix:
//! for each visibility, page and JSON alike, an anonymous visitor, a member, a member of
//! another server only, a manager and an expired session get exactly what they should.
//! A replayed `state`, a foreign `next`, a tampered cookie and a missing or forged CSRF
//! token are refused.

use std::time::Duration;

use questline::db::{SessionGuild, WebSession};
use questline::web::auth::{self, Login};
use questline::web::server::Scope;
use questline::web::{WebServer, WebSources};
use questline_tests::both_backends;
use questline_tests::fake_discord::FakeDiscord;
use questline_tests::fake_discord::oauth::{CLIENT_SECRET, MANAGE_GUILD, OAuthUser, SEND_MESSAGES};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

use crate::support::{Names, members, set};

const G: u64 = 41771983423143937;
const OTHER: u64 = 81771983423143937;

pub fn member() -> OAuthUser {
    OAuthUser {
        id: 501,
        name: "Mia Member".into(),
        guilds: vec![(G, SEND_MESSAGES)],
    }
}
pub fn manager() -> OAuthUser {
    OAuthUser {
        id: 502,
        name: "Max Manager".into(),
        guilds: vec![(G, MANAGE_GUILD), (OTHER, 0)],
    }
}
pub fn outsider() -> OAuthUser {
    OAuthUser {
        id: 503,
        name: "Otto Outsider".into(),
        guilds: vec![(OTHER, MANAGE_GUILD)],
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// A bot-scope server with Discord login through `fake`.
pub async fn login_server(db: &questline::db::Db, fake: &FakeDiscord) -> WebServer {
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let names = [(G, "Guild One".to_string()), (OTHER, "Other".to_string())]
        .into_iter()
        .collect();
    questline::web::start(
        format!("127.0.0.1:{port}").parse().expect("addr"),
        WebSources {
            db: db.clone(),
            pipeline: None,
            scope: Scope::Bot {
                guilds: std::sync::Arc::new(Names(names)),
            },
            login: Some(Login::new(
                1234,
                CLIENT_SECRET.into(),
                &public,
                &fake.api_base(),
                Duration::from_secs(3_600),
            )),
            commands: None,
            managers: None,
        },
    )
    .await
    .expect("web server")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn location(h: &HeaderMap) -> String {
    h.get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn query(url: &str) -> std::collections::HashMap<String, String> {
    reqwest::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

/// The steps of a login up to Discord's redirect back: (callback URL, the site's Location
/// after /login).
async fn approve(base: &str, fake: &FakeDiscord, user: OAuthUser, next: &str) -> String {
    fake.oauth_user(user);
    let c = client();
    let res = c
        .get(format!("{base}/login?next={next}"))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 303);
    let authorize = location(res.headers());
    assert!(
        authorize.starts_with(&format!("{}/oauth2/authorize?", fake.api_base())),
        "{authorize}"
    );
    let q = query(&authorize);
    assert_eq!(q["scope"], "identify guilds");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], format!("{base}/auth/callback"));
    let page = c
        .get(&authorize)
        .send()
        .await
        .expect("consent page")
        .text()
        .await
        .expect("page");
    assert!(page.contains("Authorize"), "{page}");
    let approve = format!("{}/oauth2/authorize/approve", fake.api_base());
    let res = c
        .get(&approve)
        .query(&[
            ("state", &q["state"]),
            ("redirect_uri", &q["redirect_uri"]),
            ("code_challenge", &q["code_challenge"]),
        ])
        .send()
        .await
        .expect("approve");
    assert_eq!(res.status(), 302);
    location(res.headers())
}

/// A whole login: the session cookie and where the site sent the visitor.
pub async fn log_in(
    base: &str,
    fake: &FakeDiscord,
    user: OAuthUser,
    next: &str,
) -> (String, String) {
    let callback = approve(base, fake, user, next).await;
    let res = client().get(&callback).send().await.expect("callback");
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let set_cookie = res.headers()[SET_COOKIE]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    assert!(
        !set_cookie.contains("Secure"),
        "not Secure over http: {set_cookie}"
    );
    let cookie = set_cookie.split(';').next().expect("pair").to_string();
    (cookie, location(res.headers()))
}

async fn status(url: &str, cookie: Option<&str>) -> u16 {
    let mut req = client().get(url);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("request").status().as_u16()
}

both_backends! {
    async fn each_visitor_gets_exactly_what_each_visibility_allows(t) {
        let db = t.open().await;
        members(&db, G, 3).await;
        let fake = FakeDiscord::start().await;
        let server = login_server(&db, &fake).await;
        let base = format!("http://{}", server.local_addr);

        let (member_cookie, went) = log_in(&base, &fake, member(), &format!("/g/{G}")).await;
        assert_eq!(went, format!("/g/{G}"), "back where the visitor started");
        let (manager_cookie, _) = log_in(&base, &fake, manager(), "/").await;
        let (outsider_cookie, _) = log_in(&base, &fake, outsider(), "/").await;
        // An expired session of the manager.
        let expired = auth::random_token();
        db.create_web_session(&auth::hash(&expired), &WebSession {
            user_id: 502, user_name: "Max".into(), avatar: None,
            guilds: vec![SessionGuild { id: G, manager: true }],
            csrf: auth::random_token(), expires_at_ms: chrono::Utc::now().timestamp_millis() - 1_000,
        }, 0).await.unwrap();
        let expired = format!("{}={expired}", auth::COOKIE);
        let viewers: [(&str, Option<&str>); 5] = [
            ("anonymous", None),
            ("member", Some(&member_cookie)),
            ("outsider", Some(&outsider_cookie)),
            ("manager", Some(&manager_cookie)),
            ("expired", Some(&expired)),
        ];
        let table: [(&str, [u16; 5]); 4] = [
            ("public", [200, 200, 200, 200, 200]),
            ("members", [401, 200, 403, 200, 401]),
            ("managers", [401, 403, 403, 200, 401]),
            ("off", [404, 404, 404, 404, 404]),
        ];
        for (visibility, want) in table {
            set(&db, G, "leaderboard_visibility", visibility).await;
            for ((who, cookie), want) in viewers.iter().zip(want) {
                for url in [format!("{base}/g/{G}"), format!("{base}/api/v1/guilds/{G}/leaderboard")] {
                    assert_eq!(status(&url, *cookie).await, want, "{visibility} board, {who}, {url}");
                }
            }
        }

        // A tampered cookie is no session.
        set(&db, G, "leaderboard_visibility", "members").await;
        let mut tampered = member_cookie.clone();
        let last = tampered.pop().expect("char");
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(status(&format!("{base}/g/{G}"), Some(&tampered)).await, 401);

        // The page says who is logged in and offers a log-out form with a CSRF token.
        let html = client().get(format!("{base}/g/{G}")).header("cookie", &member_cookie)
            .send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Logged in as <strong>Mia Member</strong>"), "{html}");
        let csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next())
            .expect("a csrf field").to_string();
        // Anonymous visitors are offered the login.
        let anon = client().get(format!("{base}/g/{G}")).send().await.unwrap().text().await.unwrap();
        assert!(anon.contains(&format!("href=\"/login?next=/g/{G}\"")), "{anon}");

        // Logging out needs the session's CSRF token.
        let logout = |cookie: String, form: Vec<(&'static str, String)>| {
            let base = base.clone();
            async move {
                client().post(format!("{base}/logout")).header("cookie", cookie).form(&form)
                    .send().await.expect("logout")
            }
        };
        assert_eq!(logout(member_cookie.clone(), vec![]).await.status(), 403, "no token");
        assert_eq!(logout(member_cookie.clone(), vec![("csrf", auth::random_token())]).await.status(), 403, "forged token");
        assert_eq!(logout(manager_cookie.clone(), vec![("csrf", csrf.clone())]).await.status(), 403, "another session's token");
        assert_eq!(status(&format!("{base}/g/{G}"), Some(&member_cookie)).await, 200, "still logged in");
        let res = logout(member_cookie.clone(), vec![("csrf", csrf)]).await;
        assert_eq!(res.status(), 303);
        assert!(res.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
        assert_eq!(status(&format!("{base}/g/{G}"), Some(&member_cookie)).await, 401, "the session is gone");
        server.stop().await;
    }
}

both_backends! {
    async fn a_state_works_once_and_next_never_leaves_the_site(t) {
        let db = t.open().await;
        let fake = FakeDiscord::start().await;
        let server = login_server(&db, &fake).await;
        let base = format!("http://{}", server.local_addr);

        // A foreign `next` lands on the front page.
        for next in ["//evil.example/x", "https://evil.example/", "/\\evil.example"] {
            let (_, went) = log_in(&base, &fake, member(), &urlencode(next)).await;
            assert_eq!(went, "/", "{next}");
        }

        // The callback works once: replaying it (same state, same code) is refused.
        let callback = approve(&base, &fake, member(), "/").await;
        assert_eq!(client().get(&callback).send().await.unwrap().status(), 303);
        let again = client().get(&callback).send().await.unwrap();
        assert_eq!(again.status(), 400);
        assert!(again.text().await.unwrap().contains("expired"));
        // A state the site never issued.
        let q = query(&callback);
        let forged = format!("{base}/auth/callback?code={}&state={}", q["code"], auth::random_token());
        assert_eq!(client().get(&forged).send().await.unwrap().status(), 400);
        // Cancelling on Discord's page.
        let callback = approve(&base, &fake, member(), "/").await;
        let q = query(&callback);
        let cancelled = format!("{base}/auth/callback?error=access_denied&state={}", q["state"]);
        let res = client().get(&cancelled).send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("cancelled"));
        server.stop().await;
    }
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}
