//! The one error type of the HTTP edge: each stage's errors mapped to a status and a body
//! that names the problem. Storage failures are 503 so providers retry; their detail is
//! logged, never returned.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::delivery::DeliveryError;
use crate::inbound::InboundError;
use crate::outbound::OutboundError;
use crate::provider::{AuthError, PayloadError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no channel `{0}`")]
    UnknownChannel(String),
    #[error("{0} sends inbound SMS by POST only")]
    MethodNotAllowed(&'static str),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A token whose role or zones do not allow this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Well-formed but not acceptable (a zone whose unit is no admin unit).
    #[error("{0}")]
    Invalid(String),
    #[error("body over {0} bytes")]
    BodyTooLarge(usize),
    #[error(transparent)]
    Outbound(OutboundError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug (a page that does not render), logged where it happened.
    #[error("{0}")]
    Internal(&'static str),
}

impl From<OutboundError> for ApiError {
    fn from(e: OutboundError) -> Self {
        match e {
            OutboundError::Store(e) => Self::Store(e),
            other => Self::Outbound(other),
        }
    }
}

impl From<InboundError> for ApiError {
    fn from(e: InboundError) -> Self {
        match e {
            InboundError::Payload(e) => Self::Payload(e),
            InboundError::Store(e) => Self::Store(e),
        }
    }
}

impl From<DeliveryError> for ApiError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Payload(e) => Self::Payload(e),
            DeliveryError::Store(e) => Self::Store(e),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnknownChannel(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Auth(e) if e.is_missing() => StatusCode::UNAUTHORIZED,
            Self::Auth(_) => StatusCode::FORBIDDEN,
            Self::Payload(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Outbound(OutboundError::Compose { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Outbound(_) | Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::UnknownChannel(_) => "unknown_channel",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Auth(_) | Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::Payload(_) | Self::BadRequest(_) => "bad_request",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Invalid(_) => "invalid",
            Self::BodyTooLarge(_) => "too_large",
            Self::Outbound(OutboundError::Compose { .. }) => "not_sendable",
            Self::Outbound(_) | Self::Store(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = match &self {
            Self::Store(e) => {
                tracing::error!(error = %e, "request failed on storage");
                "storage unavailable, retry later".to_owned()
            }
            other => other.to_string(),
        };
        (
            self.status(),
            Json(json!({ "error": self.code(), "message": message })),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_its_status() {
        let cases = [
            (ApiError::UnknownChannel("x".into()), 404),
            (ApiError::MethodNotAllowed("twilio"), 405),
            (ApiError::Auth(AuthError::MissingSecret), 401),
            (ApiError::Auth(AuthError::WrongSecret), 403),
            (
                ApiError::Auth(AuthError::MissingSignature("X-Twilio-Signature")),
                401,
            ),
            (
                ApiError::Auth(AuthError::BadSignature("X-Twilio-Signature")),
                403,
            ),
            (ApiError::Payload(PayloadError::Missing("from".into())), 400),
            (ApiError::Unauthorized("admin token required"), 401),
            (ApiError::BodyTooLarge(65536), 413),
            (ApiError::Store(StoreError::Closed), 503),
            (
                ApiError::from(OutboundError::Compose {
                    index: 0,
                    source: crate::outbound::ComposeError::Empty,
                }),
                422,
            ),
            (
                ApiError::from(OutboundError::Store(StoreError::Closed)),
                503,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(error.status().as_u16(), status, "{error}");
        }
    }
}
