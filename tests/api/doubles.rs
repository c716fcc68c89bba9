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
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

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

fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap()
}

fn json_answer(code: u16, body: Value) -> Response {
    (status_code(code), axum::Json(body)).into_response()
}

fn text_answer(code: u16, body: &str) -> Response {
    (status_code(code), body.to_owned()).into_response()
}

fn throttle(kind: Kind, secs: u64) -> Response {
    let mut answer = match kind {
        Kind::Twilio => twilio_error(429, 20429, "Too Many Requests"),
        Kind::Infobip => infobip_error(429, "TOO_MANY_REQUESTS", "Too many requests"),
        Kind::Orange => {
            let description = "The application has exceeded the rate limit for this service.";
            let body = json!({"code": 53, "message": "Too many requests",
                "description": description});
            json_answer(429, body)
        }
        _ => text_answer(429, "Too Many Requests"),
    };
    answer
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    answer
}

fn africas_talking(step: &Step, rec: &Recorded, n: usize) -> Response {
    let to = rec.form_value("to").unwrap_or_default();
    let refused = |code: u16, status: &str| {
        let recipient = json!({"statusCode": code, "number": to, "status": status,
            "cost": "0", "messageId": "None"});
        at_answer("Sent to 0/1 Total Cost: 0", recipient)
    };
    match step {
        Step::RejectNumber => refused(403, "InvalidPhoneNumber"),
        Step::ChannelFault => refused(405, "InsufficientBalance"),
        Step::Fail(code) => text_answer(*code, "Internal error"),
        Step::Unauthorized => text_answer(401, "The supplied authentication is invalid"),
        _ => {
            let recipient = json!({"statusCode": 101, "number": to, "status": "Success",
                "cost": "XOF 10", "messageId": format!("ATXid_{n}")});
            at_answer("Sent to 1/1 Total Cost: XOF 10", recipient)
        }
    }
}

fn at_answer(message: &str, recipient: Value) -> Response {
    json_answer(
        201,
        json!({"SMSMessageData": {"Message": message, "Recipients": [recipient]}}),
    )
}

fn twilio(step: &Step, rec: &Recorded, n: usize) -> Response {
    match step {
        Step::RejectNumber => {
            twilio_error(400, 21211, "The 'To' number is not a valid phone number.")
        }
        Step::ChannelFault => twilio_error(
            400,
            21606,
            "The From phone number is not a valid, SMS-capable inbound phone number",
        ),
        Step::Fail(code) => twilio_error(*code, 20500, "Internal Server Error"),
        Step::Unauthorized => twilio_error(401, 20003, "Authenticate"),
        _ => json_answer(
            201,
            json!({"sid": format!("SM{n}"), "status": "queued", "num_segments": "1",
                "to": rec.form_value("To"), "from": rec.form_value("From"), "error_code": null}),
        ),
    }
}

fn twilio_error(code: u16, twilio_code: u32, message: &str) -> Response {
    let more_info = format!("https://www.twilio.com/docs/errors/{twilio_code}");
    let body =
        json!({"code": twilio_code, "message": message, "more_info": more_info, "status": code});
    json_answer(code, body)
}

fn infobip(step: &Step, rec: &Recorded, n: usize) -> Response {
    let request: Value = serde_json::from_str(&rec.body).unwrap_or(Value::Null);
    let destination = &request["messages"][0]["destinations"][0];
    let message_id =
        (destination["messageId"].as_str()).map_or_else(|| format!("ib-{n}"), str::to_owned);
    let status = match step {
        Step::RejectNumber => json!({"groupId": 5, "groupName": "REJECTED", "id": 52,
            "name": "REJECTED_DESTINATION", "description": "Invalid destination address"}),
        Step::ChannelFault => json!({"groupId": 5, "groupName": "REJECTED", "id": 12,
            "name": "REJECTED_NOT_ENOUGH_CREDITS", "description": "Not enough credits"}),
        Step::Fail(code) => return infobip_error(*code, "GENERAL_ERROR", "Something went wrong"),
        Step::Unauthorized => return infobip_error(401, "UNAUTHORIZED", "Invalid login details"),
        _ => json!({"groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_ACCEPTED",
            "description": "Message sent to next instance"}),
    };
    let message =
        json!({"messageId": message_id, "status": status, "destination": destination["to"]});
    json_answer(
        200,
        json!({"bulkId": format!("bulk-{n}"), "messages": [message]}),
    )
}

fn infobip_error(code: u16, message_id: &str, text: &str) -> Response {
    let exception = json!({"messageId": message_id, "text": text});
    json_answer(
        code,
        json!({"requestError": {"serviceException": exception}}),
    )
}

fn vonage(step: &Step, rec: &Recorded, n: usize) -> Response {
    let to = rec.form_value("to").unwrap_or_default();
    let (code, error_text) = match step {
        Step::RejectNumber => (
            "6",
            "Invalid Message: unrecognised prefix for the destination",
        ),
        Step::ChannelFault => ("9", "Partner Quota Violation"),
        Step::Throttle(_) => (
            "1",
            "Throughput Rate Exceeded - please wait [ 1000 ] and retry",
        ),
        Step::Unauthorized => ("4", "Bad Credentials"),
        Step::Fail(code) => return text_answer(*code, ""),
        _ => ("0", ""),
    };
    let mut message = if code == "0" {
        json!({"to": to, "message-id": format!("vn-{n}"), "status": "0",
            "remaining-balance": "10.0", "message-price": "0.03", "network": "61201"})
    } else {
        json!({"to": to, "status": code, "error-text": error_text})
    };
    if let Some(client_ref) = rec.form_value("client-ref") {
        message["client-ref"] = Value::String(client_ref);
    }
    json_answer(200, json!({"message-count": "1", "messages": [message]}))
}

fn orange(step: &Step, rec: &Recorded, n: usize, base: &str) -> Response {
    match step {
        Step::RejectNumber => orange_exception(
            400,
            "serviceException",
            "SVC0004",
            "No valid addresses provided in message part %1",
            "address",
        ),
        Step::ChannelFault => orange_exception(
            403,
            "policyException",
            "POL0001",
            "A policy error occurred. Error code is %1",
            "Expired bundle",
        ),
        Step::Fail(code) => orange_exception(
            *code,
            "serviceException",
            "SVC0001",
            "A service error occurred. Error code is %1",
            "Internal error",
        ),
        Step::Unauthorized => orange_expired(),
        _ => {
            let request: Value = serde_json::from_str(&rec.body).unwrap_or(Value::Null);
            let mut echo =
                (request["outboundSMSMessageRequest"].as_object().cloned()).unwrap_or_default();
            let url = format!("{base}{}/or-{n}", rec.path);
            echo.insert("resourceURL".to_owned(), Value::String(url));
            json_answer(201, json!({"outboundSMSMessageRequest": echo}))
        }
    }
}

fn orange_exception(code: u16, kind: &str, id: &str, text: &str, variables: &str) -> Response {
    let exception = json!({"messageId": id, "text": text, "variables": variables});
    json_answer(code, json!({"requestError": {kind: exception}}))
}

fn orange_expired() -> Response {
    let description =
        "The requested service needs credentials, but the ones provided were out-of-date.";
    let body = json!({"code": 42, "message": "Expired credentials", "description": description});
    json_answer(401, body)
}

fn kannel(step: &Step) -> Response {
    match step {
        Step::RejectNumber => text_answer(403, "Not routable. Do not try again."),
        Step::ChannelFault | Step::Unauthorized => {
            text_answer(403, "Authorization failed for sendsms")
        }
        Step::Fail(code) => text_answer(*code, "Internal error"),
        _ => text_answer(202, "0: Accepted for delivery"),
    }
}
