//! Each provider's answers, as its documentation shows them, for every scripted step.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Kind, Recorded, Step};

fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap()
}

pub(super) fn json_answer(code: u16, body: Value) -> Response {
    (status_code(code), axum::Json(body)).into_response()
}

pub(super) fn text_answer(code: u16, body: &str) -> Response {
    (status_code(code), body.to_owned()).into_response()
}

pub(super) fn throttle(kind: Kind, secs: u64) -> Response {
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

pub(super) fn africas_talking(step: &Step, rec: &Recorded, n: usize) -> Response {
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

pub(super) fn twilio(step: &Step, rec: &Recorded, n: usize) -> Response {
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

pub(super) fn infobip(step: &Step, rec: &Recorded, n: usize) -> Response {
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

pub(super) fn vonage(step: &Step, rec: &Recorded, n: usize) -> Response {
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

pub(super) fn orange(step: &Step, rec: &Recorded, n: usize, base: &str) -> Response {
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

pub(super) fn orange_expired() -> Response {
    let description =
        "The requested service needs credentials, but the ones provided were out-of-date.";
    let body = json!({"code": 42, "message": "Expired credentials", "description": description});
    json_answer(401, body)
}

pub(super) fn kannel(step: &Step) -> Response {
    match step {
        Step::RejectNumber => text_answer(403, "Not routable. Do not try again."),
        Step::ChannelFault | Step::Unauthorized => {
            text_answer(403, "Authorization failed for sendsms")
        }
        Step::Fail(code) => text_answer(*code, "Internal error"),
        _ => text_answer(202, "0: Accepted for delivery"),
    }
}
