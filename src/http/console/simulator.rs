//! The phone simulator (only with a `sim` channel): play any number, send it SMS, dial the
//! USSD menu, and see the replies and alerts it receives. It files real reports as that
//! number, so it is an admin's.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::session::require_csrf;
use super::{Html, console, language_of, render, whole_page};
use crate::http::auth::Admin;
use crate::http::webhooks::simulate;
use crate::http::{ApiError, AppState};
use crate::store::db::Db;
use crate::store::outbound_views as outbound;
use crate::store::{StoreError, audit};

/// Messages shown in the phone's inbox.
const INBOX: u32 = 20;

#[derive(Debug, Default, Deserialize)]
pub(super) struct Phone {
    #[serde(default)]
    phone: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Typed {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    phone: String,
    #[serde(default)]
    text: String,
    /// `sms` (the default), or `ussd` with the session it continues.
    #[serde(default)]
    via: Via,
    #[serde(default)]
    session: String,
    /// The USSD answers so far, `*`-joined as providers send them.
    #[serde(default)]
    path: String,
}

/// How the simulated phone reaches the gateway.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Via {
    #[default]
    Sms,
    Ussd,
}

/// `GET /console/simulator?phone=`
pub(super) async fn page(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Query(Phone { phone }): Query<Phone>,
) -> Result<Html, ApiError> {
    whole_page(
        &state,
        &caller,
        &headers,
        ("simulator.html", "simulator"),
        json!({
            "phone": phone,
            "inbox": inbox(&state, &phone).await?,
        }),
    )
    .await
}

/// `GET /console/simulator/inbox?phone=`: the phone's inbox alone (polled while open).
pub(super) async fn inbox_rows(
    State(state): State<AppState>,
    _: Admin,
    headers: HeaderMap,
    Query(Phone { phone }): Query<Phone>,
) -> Result<Html, ApiError> {
    let console = console(&state)?;
    let values = json!({ "phone": phone, "inbox": inbox(&state, &phone).await? });
    render(
        console,
        "simulator_inbox.html",
        language_of(&headers),
        &values,
    )
}

/// `POST /console/simulator`: the phone sends an SMS or a USSD answer.
pub(super) async fn send(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Form(form): Form<Typed>,
) -> Result<Html, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    // What a simulated phone does is real (an `OK` stops an escalation): it is audited,
    // without the number, in the transaction that takes it, so neither goes without the
    // other.
    let (who, now) = (caller.who.clone(), state.store.now_ms());
    let action = match form.via {
        Via::Sms => "simulator.sms",
        Via::Ussd => "simulator.ussd",
    };
    let audit = move |c: &Db<'_>| audit::append(c, &who, action, "sim", &json!({}), now);
    let screen = match form.via {
        Via::Ussd => Some(dial(&state, &form, audit).await?),
        Via::Sms => {
            let id = format!("console-{:016x}", fastrand::u64(..));
            let fields = [
                ("from", form.phone.as_str()),
                ("text", form.text.as_str()),
                ("id", id.as_str()),
            ];
            simulate(&state, false, &fields, audit).await?;
            None
        }
    };
    whole_page(
        &state,
        &caller,
        &headers,
        ("simulator.html", "simulator"),
        json!({
            "phone": form.phone, "ussd": screen,
            "inbox": inbox(&state, &form.phone).await?,
        }),
    )
    .await
}

/// The phone's next USSD step: the screen it gets, with the session and answers so far;
/// `audit` is written with the step.
async fn dial<A>(state: &AppState, form: &Typed, audit: A) -> Result<Value, ApiError>
where
    A: Fn(&Db<'_>) -> Result<(), StoreError> + Send + 'static,
{
    let session = if form.session.is_empty() {
        format!("console-{:016x}", fastrand::u64(..))
    } else {
        form.session.clone()
    };
    let path = match (form.path.is_empty(), form.text.trim()) {
        (true, typed) => typed.to_owned(),
        (false, typed) => format!("{}*{typed}", form.path),
    };
    let fields = [
        ("sessionId", session.as_str()),
        ("phoneNumber", form.phone.as_str()),
        ("text", path.as_str()),
    ];
    let screen = simulate(state, true, &fields, audit)
        .await?
        .unwrap_or_default();
    Ok(json!({ "session": session, "path": path, "screen": screen }))
}

/// What the sim channel sent to the phone, newest first.
async fn inbox(state: &AppState, phone: &str) -> Result<Vec<outbound::OutboundRow>, ApiError> {
    if phone.trim().is_empty() {
        return Ok(Vec::new());
    }
    let Some(sim) = state
        .channels
        .of_kind(crate::config::ChannelKind::Sim)
        .next()
        .cloned()
    else {
        return Err(ApiError::NotFound(
            "the simulator needs a sim channel".into(),
        ));
    };
    let recipient = state
        .outbound
        .address(phone)
        .map_err(|e| ApiError::BadRequest(format!("phone: {e}")))?;
    let filter = outbound::Filter {
        channel: Some(sim.id.clone()),
        recipient: Some(recipient.as_str().to_owned()),
        ..Default::default()
    };
    Ok(state
        .store
        .read(move |c| outbound::list(c, &filter, INBOX))
        .await?)
}
