//! CAP 1.2 (OASIS Common Alerting Protocol) for partners' systems: an incident as a CAP
//! `alert`, and an Atom feed listing them. Pure: the HTTP edge passes the incident as its
//! caller may see it and the texts of each language.
//!
//! An incident is one CAP message per state: `Alert` as first reported, then an `Update`
//! after each change (a report joining, a review), or a `Cancel` once dismissed or
//! withdrawn, each referencing the first `Alert`.

use std::io;

use chrono::{SecondsFormat, TimeZone, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::store::incident_views::IncidentView;

const CAP_NS: &str = "urn:oasis:names:tc:emergency:cap:1.2";
const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// Who sends: the CAP `sender` and the base of links.
#[derive(Debug, Clone)]
pub struct Origin {
    /// A CAP identifier of the gateway (`vigie@example.org`): no spaces, `,`, `<` or `&`.
    pub sender: String,
    /// The API's base URL (`https://vigie.example.org`), for the feed's links; empty for
    /// links relative to the feed.
    pub base_url: String,
}

/// One `info`: the texts in one language.
#[derive(Debug, Clone)]
pub struct Info {
    pub language: String,
    /// What happened, in words (`Attaque armée`).
    pub event: String,
    pub description: String,
}

/// When the incident last changed: fused with a report or reviewed.
pub fn changed_at(incident: &IncidentView) -> i64 {
    incident
        .updated_at
        .max(incident.reviewed_at.unwrap_or_default())
}

/// The CAP `msgType` of the incident as it stands.
pub fn message_type(incident: &IncidentView) -> &'static str {
    if incident.review == "dismissed" || incident.status == "withdrawn" {
        "Cancel"
    } else if changed_at(incident) == incident.created_at && incident.review == "new" {
        "Alert"
    } else {
        "Update"
    }
}

/// The first `Alert`'s identifier.
fn first_identifier(incident: &IncidentView) -> String {
    format!("vigie-incident-{}", incident.id)
}

/// The identifier of the incident's message as it stands: one per change.
pub fn identifier(incident: &IncidentView) -> String {
    match message_type(incident) {
        "Alert" => first_identifier(incident),
        _ => format!("{}-{}", first_identifier(incident), changed_at(incident)),
    }
}

/// A time as CAP writes it: seconds, and `+00:00` rather than `Z`.
pub fn cap_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The incident as a CAP 1.2 `alert` document.
pub fn alert(origin: &Origin, incident: &IncidentView, infos: &[Info]) -> String {
    document("alert", CAP_NS, |w| {
        head(w, origin, incident)?;
        for info in infos {
            info_element(w, incident, info)?;
        }
        Ok(())
    })
}

fn head(w: &mut Writer<Vec<u8>>, origin: &Origin, i: &IncidentView) -> io::Result<()> {
    let kind = message_type(i);
    text(w, "identifier", &identifier(i))?;
    text(w, "sender", &origin.sender)?;
    text(w, "sent", &cap_time(changed_at(i)))?;
    text(w, "status", "Actual")?;
    text(w, "msgType", kind)?;
    text(w, "scope", "Restricted")?;
    text(w, "restriction", "Early-warning network partners only")?;
    if i.review != "new" {
        let note = format!("review: {} {}", i.review, i.review_note);
        text(w, "note", note.trim_end())?;
    }
    if kind != "Alert" {
        let (first, sent) = (first_identifier(i), cap_time(i.created_at));
        text(
            w,
            "references",
            &format!("{},{first},{sent}", origin.sender),
        )?;
    }
    text(w, "incidents", &first_identifier(i))
}

fn info_element(w: &mut Writer<Vec<u8>>, i: &IncidentView, info: &Info) -> io::Result<()> {
    w.create_element("info").write_inner_content(|w| {
        text(w, "language", &info.language)?;
        text(w, "category", "Security")?;
        text(w, "event", &info.event)?;
        let response = if i.review == "closed" {
            "AllClear"
        } else {
            "Monitor"
        };
        text(w, "responseType", response)?;
        text(w, "urgency", urgency(i))?;
        text(w, "severity", severity(i.severity))?;
        text(w, "certainty", certainty(i))?;
        text(w, "onset", &cap_time(i.first_time))?;
        text(w, "senderName", "Vigie")?;
        text(w, "headline", &headline(info, i))?;
        text(w, "description", &info.description)?;
        area(w, i)
    })?;
    Ok(())
}

fn area(w: &mut Writer<Vec<u8>>, i: &IncidentView) -> io::Result<()> {
    w.create_element("area").write_inner_content(|w| {
        text(w, "areaDesc", &area_name(i))?;
        let circle = format!("{:.5},{:.5} {}", i.lat, i.lon, radius_km(i.precision));
        text(w, "circle", &circle)?;
        for (name, value) in ["region", "cercle", "commune"].iter().zip(&i.chain) {
            if value.is_empty() {
                continue;
            }
            w.create_element("geocode").write_inner_content(|w| {
                text(w, "valueName", name)?;
                text(w, "value", value)
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The place's name, else its admin chain (the geocodes carry the chain).
fn area_name(i: &IncidentView) -> String {
    if !i.place_name.is_empty() {
        return i.place_name.clone();
    }
    let chain: Vec<&str> = i
        .chain
        .iter()
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .collect();
    chain.join(", ")
}

fn headline(info: &Info, i: &IncidentView) -> String {
    let line = format!("{} - {}", info.event, area_name(i));
    // CAP asks for a headline of 160 characters at most.
    line.chars().take(160).collect()
}

/// How far from the point the incident may be, by how precisely it is placed.
fn radius_km(precision: u8) -> f64 {
    match precision {
        3.. => 2.0,
        2 => 15.0,
        1 => 60.0,
        0 => 150.0,
    }
}

fn urgency(i: &IncidentView) -> &'static str {
    match (i.review.as_str(), i.severity) {
        ("closed" | "dismissed", _) => "Past",
        _ if i.status == "withdrawn" => "Past",
        (_, Some(4..)) => "Immediate",
        _ => "Expected",
    }
}

fn severity(severity: Option<u8>) -> &'static str {
    match severity {
        Some(5..) => "Extreme",
        Some(4) => "Severe",
        Some(3) => "Moderate",
        Some(_) => "Minor",
        None => "Unknown",
    }
}

fn certainty(i: &IncidentView) -> &'static str {
    match i.review.as_str() {
        "verified" | "closed" => "Observed",
        "dismissed" => "Unlikely",
        _ if i.sources >= 2 => "Likely",
        _ => "Possible",
    }
}

/// An Atom feed of the incidents' CAP documents, newest first.
pub fn atom(origin: &Origin, incidents: &[IncidentView], updated: i64) -> String {
    let base = origin.base_url.trim_end_matches('/');
    document("feed", ATOM_NS, |w| {
        // An Atom id is an absolute IRI, whatever the links are.
        let id = if base.is_empty() {
            format!("urn:vigie:feed:{}", origin.sender)
        } else {
            format!("{base}/api/cap.atom")
        };
        text(w, "id", &id)?;
        text(w, "title", "Vigie: verified incidents (CAP 1.2)")?;
        text(w, "updated", &cap_time(updated))?;
        w.create_element("author")
            .write_inner_content(|w| text(w, "name", &origin.sender))?;
        for i in incidents {
            entry(w, base, i)?;
        }
        Ok(())
    })
}

fn entry(w: &mut Writer<Vec<u8>>, base: &str, i: &IncidentView) -> io::Result<()> {
    let href = format!("{base}/api/incidents/{}/cap", i.id);
    w.create_element("entry").write_inner_content(|w| {
        text(w, "id", &format!("urn:vigie:{}", identifier(i)))?;
        let title = format!("{} {} - {}", message_type(i), i.category, area_name(i));
        text(w, "title", &title)?;
        text(w, "updated", &cap_time(changed_at(i)))?;
        w.create_element("link")
            .with_attribute(("rel", "alternate"))
            .with_attribute(("type", "application/cap+xml"))
            .with_attribute(("href", href.as_str()))
            .write_empty()?;
        text(
            w,
            "summary",
            &format!("{} {}", i.category, severity(i.severity)),
        )
    })?;
    Ok(())
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    // XML 1.0 has no place for control characters a note may carry.
    let value: String = value
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    w.create_element(name)
        .write_text_content(BytesText::new(&value))?;
    Ok(())
}

/// An XML document with one root element in namespace `ns`.
fn document(
    root: &str,
    ns: &str,
    inner: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>,
) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|()| {
            w.create_element(root)
                .with_attribute(("xmlns", ns))
                .write_inner_content(inner)
                .map(|_| ())
        });
    // Writing to memory cannot fail; should it, the document says so rather than half-end.
    match written {
        Ok(()) => String::from_utf8_lossy(&w.into_inner()).into_owned(),
        Err(e) => format!("<!-- cannot write the document: {e} -->"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(updated_at: i64, review: &str, status: &str) -> IncidentView {
        IncidentView {
            id: 7,
            status: status.into(),
            category: "ATT".into(),
            first_time: 0,
            last_time: 0,
            lat: 14.44,
            lon: -2.83,
            place_name: "Koro".into(),
            chain: ["Mopti".into(), "Koro".into(), String::new()],
            precision: 3,
            sources: 1,
            severity: Some(4),
            counts: serde_json::Value::Null,
            version: 0,
            first_alert_at: None,
            acked_at: None,
            escalation: 0,
            created_at: 1_000,
            updated_at,
            review: review.into(),
            review_note: String::new(),
            reviewed_at: (review != "new").then_some(5_000),
            escalate_at: None,
            counts_low: serde_json::Value::Null,
            counts_high: serde_json::Value::Null,
        }
    }

    #[test]
    fn each_state_is_its_own_message() {
        let cases = [
            (1_000, "new", "open", "Alert", "vigie-incident-7"),
            (2_000, "new", "open", "Update", "vigie-incident-7-2000"),
            (1_000, "verified", "open", "Update", "vigie-incident-7-5000"),
            (9_000, "closed", "open", "Update", "vigie-incident-7-9000"),
            (
                2_000,
                "dismissed",
                "open",
                "Cancel",
                "vigie-incident-7-5000",
            ),
            (2_000, "new", "withdrawn", "Cancel", "vigie-incident-7-2000"),
        ];
        for (updated, review, status, kind, id) in cases {
            let i = incident(updated, review, status);
            assert_eq!(message_type(&i), kind, "{review} {status}");
            assert_eq!(identifier(&i), id, "{review} {status}");
        }
    }

    #[test]
    fn severity_certainty_and_urgency_follow_the_incident() {
        assert_eq!(severity(Some(5)), "Extreme");
        assert_eq!(severity(Some(4)), "Severe");
        assert_eq!(severity(Some(3)), "Moderate");
        assert_eq!(severity(Some(1)), "Minor");
        assert_eq!(severity(None), "Unknown");
        let new = incident(1_000, "new", "open");
        assert_eq!(certainty(&new), "Possible");
        assert_eq!(
            certainty(&IncidentView {
                sources: 2,
                ..new.clone()
            }),
            "Likely"
        );
        assert_eq!(certainty(&incident(1_000, "verified", "open")), "Observed");
        assert_eq!(urgency(&new), "Immediate");
        assert_eq!(urgency(&incident(1_000, "closed", "open")), "Past");
    }

    #[test]
    fn times_are_written_as_cap_wants_them() {
        assert_eq!(cap_time(1_767_225_600_123), "2026-01-01T00:00:00+00:00");
    }

    #[test]
    fn feed_links_come_from_the_public_url_or_are_relative() {
        let cases = [
            (
                "https://vigie.example.org",
                "<id>https://vigie.example.org/api/cap.atom</id>",
                "href=\"https://vigie.example.org/api/incidents/7/cap\"",
            ),
            (
                "",
                "<id>urn:vigie:feed:vigie@localhost</id>",
                "href=\"/api/incidents/7/cap\"",
            ),
        ];
        for (base_url, id, href) in cases {
            let origin = Origin {
                sender: "vigie@localhost".into(),
                base_url: base_url.into(),
            };
            let feed = atom(&origin, &[incident(6_000, "verified", "open")], 6_000);
            assert!(
                feed.contains(id) && feed.contains(href),
                "{base_url}: {feed}"
            );
        }
    }
}
