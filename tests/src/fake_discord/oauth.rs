//! The fake Discord's OAuth2 for the web pages' login: a consent page at
//! `/oauth2/authorize` with an Authorize button (and Cancel), the code exchange at
//! `POST /api/v10/oauth2/token` (client secret and PKCE verifier checked, each code good
//! once), and `users/@me` and `users/@me/guilds` for the access token it gave.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hyper::{Body, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The OAuth2 client secret the fake accepts.
pub const CLIENT_SECRET: &str = "fake-client-secret";

/// Discord's permission bits the tests use.
pub const MANAGE_GUILD: u64 = 1 << 5;
pub const SEND_MESSAGES: u64 = 1 << 11;

/// Who approves on the consent page: their id, name and servers with their permissions.
#[derive(Debug, Clone)]
pub struct OAuthUser {
    pub id: u64,
    pub name: String,
    pub guilds: Vec<(u64, u64)>,
}

#[derive(Default)]
pub(super) struct OAuth {
    /// Who is "logged in to Discord" in the browser.
    pub user: Option<OAuthUser>,
    /// code → (user, PKCE challenge, redirect URI).
    codes: HashMap<String, (OAuthUser, String, String)>,
    /// access token → user.
    tokens: HashMap<String, OAuthUser>,
    next: u64,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The `key=value` pairs of a query string or form body.
pub(super) fn pairs(encoded: &str) -> HashMap<String, String> {
    reqwest::Url::parse(&format!("http://x/?{encoded}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

fn html(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header("content-type", "text/html; charset=utf-8")
        .body(Body::from(body))
        .expect("response")
}

fn redirect(to: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::FOUND)
        .header("location", to)
        .body(Body::empty())
        .expect("response")
}

fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    reqwest::Url::parse_with_params(base, params)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| base.to_string())
}

fn json_answer(status: u16, v: Value) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header("content-type", "application/json")
        .body(Body::from(v.to_string()))
        .expect("response")
}

impl OAuth {
    /// `GET /oauth2/authorize`: the consent page.
    pub fn authorize_page(&self, q: &HashMap<String, String>) -> Response<Body> {
        let Some(user) = &self.user else {
            return html(
                200,
                "<h1>Log in to Discord</h1><p>(no user set in the fake)</p>".into(),
            );
        };
        let field = |k: &str| escape(q.get(k).map(String::as_str).unwrap_or(""));
        let cancel = with_query(
            q.get("redirect_uri")
                .map(String::as_str)
                .unwrap_or("http://invalid/"),
            &[
                ("error", "access_denied"),
                ("state", q.get("state").map(String::as_str).unwrap_or("")),
            ],
        );
        html(
            200,
            format!(
                "<!doctype html><html lang=en><head><title>Discord | Authorize access</title></head><body>\
                 <h1>Questline wants to access your account</h1><p>Signed in as <b>{}</b>. Scopes: {}</p>\
                 <form method=get action=/oauth2/authorize/approve>\
                 <input type=hidden name=state value=\"{}\"><input type=hidden name=redirect_uri value=\"{}\">\
                 <input type=hidden name=code_challenge value=\"{}\"><input type=hidden name=client_id value=\"{}\">\
                 <button id=authorize type=submit>Authorize</button></form>\
                 <p><a id=cancel href=\"{}\">Cancel</a></p></body></html>",
                escape(&user.name),
                field("scope"),
                field("state"),
                field("redirect_uri"),
                field("code_challenge"),
                field("client_id"),
                escape(&cancel),
            ),
        )
    }

    /// `GET /oauth2/authorize/approve`: a code, and back to the site.
    pub fn approve(&mut self, q: &HashMap<String, String>) -> Response<Body> {
        let Some(user) = self.user.clone() else {
            return html(400, "no user".into());
        };
        self.next += 1;
        let code = format!("code-{}", self.next);
        let redirect_uri = q.get("redirect_uri").cloned().unwrap_or_default();
        self.codes.insert(
            code.clone(),
            (
                user,
                q.get("code_challenge").cloned().unwrap_or_default(),
                redirect_uri.clone(),
            ),
        );
        let state = q.get("state").cloned().unwrap_or_default();
        redirect(&with_query(
            &redirect_uri,
            &[("code", &code), ("state", &state)],
        ))
    }

    /// `POST /api/v10/oauth2/token`.
    pub fn token(
        &mut self,
        form: &HashMap<String, String>,
        basic_auth: Option<&str>,
    ) -> Response<Body> {
        let secret_ok = basic_auth
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|pair| {
                pair.split_once(':')
                    .is_some_and(|(_, s)| s == CLIENT_SECRET)
            })
            || form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
        if !secret_ok {
            return json_answer(401, json!({"error": "invalid_client"}));
        }
        let code = form.get("code").cloned().unwrap_or_default();
        let Some((user, challenge, redirect_uri)) = self.codes.remove(&code) else {
            return json_answer(
                400,
                json!({"error": "invalid_grant", "error_description": "Invalid \"code\" in request."}),
            );
        };
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if computed != challenge || form.get("redirect_uri") != Some(&redirect_uri) {
            return json_answer(400, json!({"error": "invalid_grant"}));
        }
        self.next += 1;
        let token = format!("oauth-token-{}", self.next);
        self.tokens.insert(token.clone(), user);
        json_answer(
            200,
            json!({"access_token": token, "token_type": "Bearer", "expires_in": 604800,
                   "refresh_token": format!("refresh-{}", self.next), "scope": "identify guilds"}),
        )
    }

    /// The user of a Bearer token, if it is one the fake gave.
    pub fn bearer(&self, authorization: Option<&str>) -> Option<&OAuthUser> {
        let token = authorization?.strip_prefix("Bearer ")?;
        self.tokens.get(token)
    }
}

/// `users/@me` for an OAuth user.
pub(super) fn user_json(u: &OAuthUser) -> Value {
    json!({"id": u.id.to_string(), "username": u.name.to_lowercase(), "global_name": u.name,
           "discriminator": "0", "avatar": null})
}

/// `users/@me/guilds` for an OAuth user.
pub(super) fn guilds_json(u: &OAuthUser) -> Value {
    Value::Array(
        u.guilds
            .iter()
            .map(|(id, perms)| {
                json!({"id": id.to_string(), "name": format!("Guild {id}"), "icon": null,
                       "owner": false, "permissions": perms.to_string(), "features": []})
            })
            .collect(),
    )
}
