//! A webhook request in framework-free form, and its parameters.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri, header};
use serde::de::DeserializeOwned;

use super::PayloadError;

/// The query parameter that carries a channel's secret; never stored or signed.
pub(crate) const TOKEN_PARAM: &str = "token";

/// What the HTTP edge hands to the provider parsers.
#[derive(Clone)]
pub struct WebhookRequest {
    pub method: Method,
    /// Path and query as received: Twilio's signature covers them.
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl std::fmt::Debug for WebhookRequest {
    // The query holds the channel token and the headers may hold a password: neither is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRequest")
            .field("method", &self.method)
            .field("path", &self.uri.path())
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Name/value pairs in the order received; a name may repeat. Values borrow from the
/// request unless they had to be decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params<'a>(pub Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Params<'a> {
    pub fn parse(encoded: &'a [u8]) -> Self {
        Self(form_urlencoded::parse(encoded).collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The first non-empty value of `name`.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// The value of `name`, or a 400 naming it.
    pub fn require(&self, name: &str) -> Result<&str, PayloadError> {
        self.get(name)
            .ok_or_else(|| PayloadError::Missing(name.to_owned()))
    }

    /// A non-empty value of `name`, or a 400 naming it.
    pub fn require_non_empty(&self, name: &str) -> Result<&str, PayloadError> {
        self.non_empty(name)
            .ok_or_else(|| PayloadError::Missing(name.to_owned()))
    }

    /// Form-encodes the pairs, leaving out the channel token: what we store as the raw payload.
    pub fn to_raw(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.0.iter().filter(|(k, _)| k != TOKEN_PARAM) {
            out.append_pair(k, v);
        }
        out.finish()
    }
}

/// Why JSON did not read, without what the caller wrote: serde quotes the values it did
/// not expect, and nothing a caller sends may reach a log line. A missing field is named
/// (the name is ours).
fn json_reason(e: &serde_json::Error) -> String {
    let at = format!("at line {} column {}", e.line(), e.column());
    let message = e.to_string();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return format!("missing field `{field}` {at}");
    }
    match e.classify() {
        serde_json::error::Category::Data => format!("a value of the wrong kind {at}"),
        serde_json::error::Category::Eof => format!("it ends too soon {at}"),
        _ => format!("not JSON {at}"),
    }
}

impl WebhookRequest {
    /// Parameters of the query string.
    pub fn query(&self) -> Params<'_> {
        Params::parse(self.uri.query().unwrap_or("").as_bytes())
    }

    /// Parameters of a form body (none when the body is JSON or empty).
    pub fn form(&self) -> Params<'_> {
        if self.is_json() || self.body.is_empty() {
            return Params::default();
        }
        Params::parse(&self.body)
    }

    /// Query and form parameters together: Kannel and Vonage put them in either.
    pub fn params(&self) -> Params<'_> {
        let mut all = self.query();
        all.0.extend(self.form().0);
        all
    }

    pub fn is_json(&self) -> bool {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            })
            || self.body.first() == Some(&b'{')
    }

    /// The body as JSON of shape `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, PayloadError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let format = match e.classify() {
                serde_json::error::Category::Data => "provider JSON",
                _ => "JSON",
            };
            PayloadError::Syntax {
                format,
                reason: json_reason(&e),
            }
        })
    }

    /// The payload as received, for storing: the body, or for a bodiless request the query
    /// without the channel token.
    pub fn raw(&self) -> String {
        if self.body.is_empty() {
            return self.query().to_raw();
        }
        String::from_utf8_lossy(&self.body).into_owned()
    }
}
