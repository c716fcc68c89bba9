//! Provider doubles: tiny real HTTP servers on 127.0.0.1:0 that speak each SMS provider's
//! *send* API as documented in `docs/providers.md` (§1.3, 2.3, 3.3, 4.3, 5.1–5.2, 6.2).
//!
//! They are real servers, not mocks of our own traits, so the gateway's real reqwest code
//! runs end to end: URL building, form/JSON encoding, auth headers, timeouts, status and
//! body parsing. A test points a channel's `base_url` at [`Double::base_url`], scripts the
//! answers with [`Double::script`] and inspects what arrived with [`Double::requests`].
// Each test binary uses only part of this module.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

mod answers;

use answers::{
    africas_talking, infobip, json_answer, kannel, orange, orange_expired, text_answer, throttle,
    twilio, vonage,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    AfricasTalking,
    Twilio,
    Infobip,
    Vonage,
    Orange,
    Kannel,
}

/// One request the double received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Raw path from the request URI (percent-encoding kept).
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }

    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    /// First value of `key` in the form body or, failing that, in the query.
    pub fn form_value(&self, key: &str) -> Option<String> {
        let first = |pairs: &[(String, String)]| {
            pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        };
        first(&self.form()).or_else(|| first(&self.query))
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("request body is not JSON ({e}): {:?}", self.body))
    }

    /// `(user, password)` from an `Authorization: Basic …` header.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let encoded = self.header("authorization")?.strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        Some((user.to_owned(), password.to_owned()))
    }
}

/// What the double does with the next send request (one step per request, in order; once
/// the script is used up it answers success).
#[derive(Debug, Clone)]
pub enum Step {
    Ok,
    Fail(u16),
    Throttle(u64),
    RejectNumber,
    ChannelFault,
    Delay(Duration),
    Hang,
    Unauthorized,
}

#[derive(Debug, Default)]
struct Inner {
    script: VecDeque<Step>,
    sends: Vec<Recorded>,
    tokens: Vec<Recorded>,
    /// Requests to paths this double does not serve (for timeout messages).
    others: Vec<Recorded>,
    /// Orange tokens issued and not revoked.
    valid_tokens: Vec<String>,
    /// Send requests being answered now, and the most there ever were at once.
    in_flight: usize,
    most_in_flight: usize,
}

#[derive(Debug)]
struct Shared {
    kind: Kind,
    base: String,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
pub struct Double {
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Double {
    pub async fn start(kind: Kind) -> Double {
        Self::start_at(kind, "127.0.0.1:0").await
    }

    /// On a given address: a provider coming back where it was.
    pub async fn start_at(kind: Kind, addr: &str) -> Double {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            kind,
            base: format!("http://{addr}"),
            inner: Mutex::default(),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Double { shared, server }
    }

    /// The channel's `base_url`: the full sendsms URL for Kannel, `http://ADDR` otherwise.
    pub fn base_url(&self) -> String {
        match self.shared.kind {
            Kind::Kannel => format!("{}/cgi-bin/sendsms", self.shared.base),
            _ => self.shared.base.clone(),
        }
    }

    pub fn script(&self, steps: impl IntoIterator<Item = Step>) {
        self.shared.lock().script.extend(steps);
    }

    /// Send requests received so far (not Orange token requests), in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().sends.clone()
    }

    /// The most send requests this double was answering at the same time.
    pub fn most_in_flight(&self) -> usize {
        self.shared.lock().most_in_flight
    }

    pub fn token_requests(&self) -> Vec<Recorded> {
        self.shared.lock().tokens.clone()
    }

    /// Polls every 20 ms until at least `n` send requests arrived; panics after `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Recorded> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            if tokio::time::Instant::now() >= deadline {
                let others: Vec<String> = (self.shared.lock().others.iter())
                    .map(|r| format!("{} {}", r.method, r.path))
                    .collect();
                panic!(
                    "the {:?} double got {} send request(s) within {within:?}, expected {n}; \
                     requests to other paths: {others:?}",
                    self.shared.kind,
                    got.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Orange: tokens issued so far stop being accepted.
    pub fn revoke_tokens(&self) {
        self.shared.lock().valid_tokens.clear();
    }
}

impl Drop for Double {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    /// Records a send; returns the step to play (None: Orange token refused) and `<n>`.
    fn admit(&self, rec: &Recorded) -> (Option<Step>, usize) {
        let mut inner = self.lock();
        inner.sends.push(rec.clone());
        let n = inner.sends.len();
        if self.kind == Kind::Orange {
            let bearer = rec
                .header("authorization")
                .and_then(|h| h.strip_prefix("Bearer "));
            if !bearer.is_some_and(|t| inner.valid_tokens.iter().any(|v| v == t.trim())) {
                return (None, n);
            }
        }
        (Some(inner.script.pop_front().unwrap_or(Step::Ok)), n)
    }

    /// Orange `POST /oauth/v3/token`.
    fn issue_token(&self, rec: Recorded) -> Response {
        let grant = rec.form_value("grant_type");
        let valid = rec.basic_auth().is_some() && grant.as_deref() == Some("client_credentials");
        let mut inner = self.lock();
        inner.tokens.push(rec);
        let token = format!("tok-{}", inner.tokens.len());
        if !valid {
            let description = "The requested service needs credentials, but none were provided.";
            let body = json!({"error": "invalid_client", "error_description": description});
            return json_answer(401, body);
        }
        inner.valid_tokens.push(token.clone());
        let body = json!({"token_type": "Bearer", "access_token": token, "expires_in": "3600"});
        json_answer(200, body)
    }
}

enum Route {
    Send,
    Token,
}

fn route(kind: Kind, method: &str, path: &str) -> Option<Route> {
    let post = method == "POST";
    let send = match kind {
        Kind::AfricasTalking => post && path == "/version1/messaging",
        Kind::Twilio => {
            post && path.starts_with("/2010-04-01/Accounts/") && path.ends_with("/Messages.json")
        }
        Kind::Infobip => post && path == "/sms/3/messages",
        Kind::Vonage => post && path == "/sms/json",
        Kind::Orange => {
            post && path.starts_with("/smsmessaging/v1/outbound/") && path.ends_with("/requests")
        }
        Kind::Kannel => method == "GET" && path == "/cgi-bin/sendsms",
    };
    if send {
        Some(Route::Send)
    } else if kind == Kind::Orange && post && path == "/oauth/v3/token" {
        Some(Route::Token)
    } else {
        None
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let rec = record(req).await;
    match route(shared.kind, &rec.method, &rec.path) {
        Some(Route::Send) => send(&shared, rec).await,
        Some(Route::Token) => shared.issue_token(rec),
        None => {
            let kind = shared.kind;
            shared.lock().others.push(rec);
            text_answer(404, &format!("no such route in the {kind:?} double"))
        }
    }
}

async fn record(req: Request) -> Recorded {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let query: Vec<(String, String)> = (parts.uri.query())
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let headers: Vec<(String, String)> = (parts.headers.iter())
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    Recorded {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at,
    }
}

async fn send(shared: &Shared, rec: Recorded) -> Response {
    {
        let mut inner = shared.lock();
        inner.in_flight += 1;
        inner.most_in_flight = inner.most_in_flight.max(inner.in_flight);
    }
    let answer = answer(shared, rec).await;
    shared.lock().in_flight -= 1;
    answer
}

async fn answer(shared: &Shared, rec: Recorded) -> Response {
    let (step, n) = shared.admit(&rec);
    let Some(step) = step else {
        return orange_expired();
    };
    let step = match step {
        Step::Delay(wait) => {
            tokio::time::sleep(wait).await;
            Step::Ok
        }
        Step::Hang => {
            tokio::time::sleep(Duration::from_secs(300)).await;
            Step::Ok
        }
        Step::Throttle(secs) if shared.kind != Kind::Vonage => return throttle(shared.kind, secs),
        other => other,
    };
    match shared.kind {
        Kind::AfricasTalking => africas_talking(&step, &rec, n),
        Kind::Twilio => twilio(&step, &rec, n),
        Kind::Infobip => infobip(&step, &rec, n),
        Kind::Vonage => vonage(&step, &rec, n),
        Kind::Orange => orange(&step, &rec, n, &shared.base),
        Kind::Kannel => kannel(&step),
    }
}
