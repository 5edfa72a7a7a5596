//! The login routes: `/login` sends the visitor to Discord, `/auth/callback` makes the
//! session, `POST /logout` ends it (see [`super::auth`] for how each step is kept safe).

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth;
use super::server::{Refusal, Shared, here, now_ms, refusal_page};
use crate::db::{PendingLogin, WebSession};

/// The login routes.
pub(super) fn routes() -> axum::Router<Shared> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/logout", post(logout))
}

#[derive(Deserialize)]
struct LoginParams {
    next: Option<String>,
}

/// `/login?next=PATH`: remembers the login and sends the visitor to Discord.
async fn login(State(s): State<Shared>, Query(q): Query<LoginParams>, uri: Uri) -> Response {
    let Some(login) = &s.login else {
        return refusal_page(&s, None, &here(&uri), &Refusal::NoLogin);
    };
    let state = auth::random_token();
    let verifier = auth::random_token();
    let pending = PendingLogin {
        verifier: verifier.clone(),
        next_path: auth::safe_next(q.next.as_deref()),
    };
    let expires = now_ms() + auth::LOGIN_TTL.as_millis() as i64;
    if let Err(e) =
        s.db.start_web_login(&auth::hash(&state), &pending, expires)
            .await
    {
        tracing::warn!(error = %e, "web login not started");
        return refusal_page(&s, None, "/", &Refusal::Unavailable);
    }
    Redirect::to(&login.authorize_url(&state, &verifier)).into_response()
}

#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `/auth/callback`: Discord sent the visitor back; make them a session.
async fn callback(State(s): State<Shared>, Query(q): Query<CallbackParams>) -> Response {
    let Some(login) = &s.login else {
        return refusal_page(&s, None, "/", &Refusal::NoLogin);
    };
    let Some(state) = q
        .state
        .as_deref()
        .filter(|v| !v.is_empty() && v.len() <= 128)
    else {
        return refusal_page(&s, None, "/", &Refusal::StaleLogin);
    };
    // Taken (deleted) first: a `state` is good once, even if what follows fails.
    let pending = match s.db.take_web_login(&auth::hash(state), now_ms()).await {
        Ok(Some(p)) => p,
        Ok(None) => return refusal_page(&s, None, "/", &Refusal::StaleLogin),
        Err(e) => {
            tracing::warn!(error = %e, "web login unreadable");
            return refusal_page(&s, None, "/", &Refusal::Unavailable);
        }
    };
    if q.error.is_some() {
        return refusal_page(&s, None, "/", &Refusal::LoginCancelled);
    }
    let Some(code) = q
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 512)
    else {
        return refusal_page(&s, None, "/", &Refusal::StaleLogin);
    };
    let identity = match login.exchange(code, &pending.verifier).await {
        Ok(token) => login.identity(&token).await,
        Err(e) => Err(e),
    };
    let identity = match identity {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "web login failed");
            return refusal_page(&s, None, "/", &Refusal::LoginFailed(e.to_string()));
        }
    };
    let cookie = auth::random_token();
    let now = now_ms();
    let session = WebSession {
        user_id: identity.user_id,
        user_name: identity.name,
        avatar: identity.avatar,
        guilds: identity.guilds,
        csrf: auth::random_token(),
        expires_at_ms: now + i64::try_from(login.session_ttl.as_millis()).unwrap_or(i64::MAX / 2),
    };
    if let Err(e) =
        s.db.create_web_session(&auth::hash(&cookie), &session, now)
            .await
    {
        tracing::warn!(error = %e, "web session not stored");
        return refusal_page(&s, None, "/", &Refusal::Unavailable);
    }
    tracing::info!(
        user = session.user_id,
        guilds = session.guilds.len(),
        "web login"
    );
    let mut res = Redirect::to(&pending.next_path).into_response();
    if let Ok(v) = HeaderValue::from_str(&login.set_cookie(&cookie)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout` with the session's CSRF token.
async fn logout(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some(login) = &s.login else {
        return refusal_page(&s, None, "/", &Refusal::NoLogin);
    };
    let session = s.session(&headers).await;
    let Some(session) = session.filter(|sess| auth::same_token(&sess.csrf, &form.csrf)) else {
        return refusal_page(&s, None, "/", &Refusal::BadForm);
    };
    if let Some(cookie) = auth::session_cookie(&headers)
        && let Err(e) = s.db.end_web_session(&auth::hash(&cookie)).await
    {
        tracing::warn!(user = session.user_id, error = %e, "web session not ended");
        return refusal_page(&s, None, "/", &Refusal::Unavailable);
    }
    let mut res = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&login.clear_cookie()) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
