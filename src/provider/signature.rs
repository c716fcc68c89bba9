//! Webhook signatures: Twilio's `X-Twilio-Signature` and Vonage's `sig` parameter.

use base64::Engine;
use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::Params;
use super::request::TOKEN_PARAM;
use crate::config::SignatureMethod;

/// Constant-time comparison, so a forger learns nothing from response times.
pub(crate) fn equal(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Twilio: HMAC-SHA1 over the full URL it called followed by every POST parameter, sorted,
/// as name then value; Base64.
pub(crate) fn twilio(url: &str, form: &Params<'_>, auth_token: &[u8]) -> String {
    let mut pairs: Vec<_> = form.0.iter().collect();
    pairs.sort();
    pairs.dedup();
    let mut mac = hmac_sha1(auth_token);
    mac.update(url.as_bytes());
    for (name, value) in pairs {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The URL Twilio may have signed, and the same with the scheme's default port added, or
/// taken away if it is there: Twilio's own validators accept either, as proxies and load
/// balancers add or drop it.
pub(crate) fn twilio_urls(url: &str) -> [String; 2] {
    let other = (|| {
        let (scheme, rest) = url.split_once("://")?;
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let host_end = authority.rfind(']').unwrap_or(0);
        let other_authority = match authority[host_end..].rfind(':') {
            Some(colon) => authority[..host_end + colon].to_owned(),
            None => {
                let port = match scheme {
                    "https" => 443,
                    "http" => 80,
                    _ => return None,
                };
                format!("{authority}:{port}")
            }
        };
        Some(format!("{scheme}://{other_authority}{tail}"))
    })();
    [url.to_owned(), other.unwrap_or_else(|| url.to_owned())]
}

fn hmac_sha1(key: &[u8]) -> Hmac<Sha1> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    <Hmac<Sha1> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// Vonage: the parameters but `sig` (and our own token), sorted by name, as `&name=value`
/// with `&` and `=` in values replaced by `_`; then MD5 with the secret appended, or an HMAC
/// keyed with it. Lower-case hex.
pub(crate) fn vonage(params: &Params<'_>, secret: &[u8], method: SignatureMethod) -> String {
    let mut pairs: Vec<_> = params
        .0
        .iter()
        .filter(|(k, _)| k != "sig" && k != TOKEN_PARAM)
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs.dedup_by(|a, b| a.0 == b.0);
    let mut text = String::new();
    for (name, value) in pairs {
        text.push('&');
        text.push_str(name);
        text.push('=');
        text.push_str(&value.replace(['&', '='], "_"));
    }
    let bytes = text.as_bytes();
    match method {
        SignatureMethod::Md5hash => hex(&Md5::new()
            .chain_update(bytes)
            .chain_update(secret)
            .finalize()),
        SignatureMethod::Md5 => hex(&mac::<Hmac<Md5>>(secret, bytes)),
        SignatureMethod::Sha1 => hex(&mac::<Hmac<Sha1>>(secret, bytes)),
        SignatureMethod::Sha256 => hex(&mac::<Hmac<Sha256>>(secret, bytes)),
        SignatureMethod::Sha512 => hex(&mac::<Hmac<Sha512>>(secret, bytes)),
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <M as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params<'a>(pairs: &[(&'a str, &'a str)]) -> Params<'a> {
        Params(pairs.iter().map(|&(k, v)| (k.into(), v.into())).collect())
    }

    #[test]
    fn twilio_matches_the_published_example() {
        let form = params(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let sig = twilio(
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &form,
            b"12345",
        );
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }

    #[test]
    fn twilio_urls_with_and_without_the_default_port() {
        let cases = [
            (
                "https://gw.example.org/webhooks/tw/sms?token=x",
                "https://gw.example.org:443/webhooks/tw/sms?token=x",
            ),
            (
                "https://gw.example.org:443/webhooks/tw/sms",
                "https://gw.example.org/webhooks/tw/sms",
            ),
            ("http://gw.example.org/a", "http://gw.example.org:80/a"),
            ("http://gw.example.org:8080/a", "http://gw.example.org/a"),
            (
                "https://gw.example.org?x=1",
                "https://gw.example.org:443?x=1",
            ),
            ("https://[2001:db8::1]/a", "https://[2001:db8::1]:443/a"),
            ("https://[2001:db8::1]:443/a", "https://[2001:db8::1]/a"),
            ("no-scheme/a", "no-scheme/a"),
        ];
        for (url, other) in cases {
            assert_eq!(
                twilio_urls(url),
                [url.to_owned(), other.to_owned()],
                "{url}"
            );
        }
    }

    #[test]
    fn vonage_md5hash_matches_the_sdk_example() {
        let p = params(&[("a", "1"), ("b", "2"), ("timestamp", "1461605396")]);
        assert_eq!(
            vonage(&p, b"secret", SignatureMethod::Md5hash),
            "6af838ef94998832dbfc29020b564830"
        );
    }

    #[test]
    fn vonage_ignores_sig_and_token_and_order() {
        let a = params(&[("b", "2"), ("a", "1"), ("sig", "x"), ("token", "t")]);
        let b = params(&[("a", "1"), ("b", "2")]);
        for method in [
            SignatureMethod::Md5,
            SignatureMethod::Sha1,
            SignatureMethod::Sha256,
            SignatureMethod::Sha512,
        ] {
            assert_eq!(
                vonage(&a, b"k", method),
                vonage(&b, b"k", method),
                "{method:?}"
            );
        }
    }
}
