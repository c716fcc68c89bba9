use super::*;

#[test]
fn provider_timestamps_parse_in_every_format_providers_use() {
    let cases = [
        (
            "rfc 3339 (AT, sim, Orange)",
            "2017-05-03T06:04:45Z",
            1_493_791_485_000,
        ),
        (
            "rfc 3339 with offset",
            "2017-05-03T07:04:45+01:00",
            1_493_791_485_000,
        ),
        (
            "infobip +0000 offset",
            "2016-10-06T09:28:40.000+0000",
            1_475_746_120_000,
        ),
        (
            "space separated UTC (AT, Vonage)",
            "2016-08-14 10:13:54",
            1_471_169_634_000,
        ),
        (
            "naive with fraction",
            "2016-08-14T10:13:54.500",
            1_471_169_634_500,
        ),
        ("unix seconds (Kannel)", "1493735509", 1_493_735_509_000),
    ];
    for (name, text, expected) in cases {
        assert_eq!(parse_time("date", text), Ok(expected), "{name}");
    }
}

#[test]
fn bad_timestamps_name_the_field() {
    for text in ["yesterday", "2016-13-45 99:99:99", "-5", ""] {
        let err = parse_time("receivedAt", text).expect_err(text);
        assert!(err.to_string().contains("`receivedAt`"), "{err}");
    }
}

#[test]
fn every_kind_names_its_sender_field() {
    use crate::config::ChannelKind::*;
    for kind in [Africastalking, Twilio, Infobip, Vonage, Orange, Kannel, Sim] {
        assert!(!sender_field(kind).is_empty());
    }
    assert!(accepts_get(Vonage) && accepts_get(Kannel) && !accepts_get(Twilio));
}
