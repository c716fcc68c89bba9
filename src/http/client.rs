//! Who a request comes from: the address that connected, or, when that is a trusted
//! reverse proxy, the client it names in `X-Forwarded-For`. Anyone can write that header,
//! so it is read from the right (the proxy's own entry) and only past trusted proxies.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub(super) struct Proxies(Vec<IpNet>);

impl Proxies {
    pub(super) fn new(trusted: Vec<IpNet>) -> Self {
        Self(trusted)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client of a request that `peer` sent: the first address from the right of
    /// `X-Forwarded-For` that is not a trusted proxy, when `peer` is one.
    pub(super) fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        let mut client = peer;
        for entry in forwarded.into_iter().rev() {
            let Ok(address) = entry.trim().parse::<IpAddr>() else {
                // Garbage a proxy passed on: the last address believed is the client.
                break;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_read_from_the_right_past_trusted_proxies_only() {
        let proxies = Proxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        let cases = [
            // (peer, X-Forwarded-For, client)
            ("203.0.113.9", Some("198.51.100.1"), "203.0.113.9"),
            ("10.0.0.2", None, "10.0.0.2"),
            ("10.0.0.2", Some("198.51.100.1"), "198.51.100.1"),
            ("10.0.0.2", Some("6.6.6.6, 198.51.100.1"), "198.51.100.1"),
            ("10.0.0.2", Some("198.51.100.1, 10.0.0.3"), "198.51.100.1"),
            ("10.0.0.2", Some("10.0.0.4, 10.0.0.3"), "10.0.0.4"),
            ("10.0.0.2", Some("198.51.100.1, nonsense"), "10.0.0.2"),
            ("10.0.0.2", Some("6.6.6.6, nonsense, 10.0.0.3"), "10.0.0.3"),
        ];
        for (peer, forwarded, client) in cases {
            let mut headers = HeaderMap::new();
            if let Some(value) = forwarded {
                headers.insert("x-forwarded-for", value.parse().unwrap());
            }
            let got = proxies.client(peer.parse().unwrap(), &headers);
            assert_eq!(
                got,
                client.parse::<IpAddr>().unwrap(),
                "{peer} {forwarded:?}"
            );
        }
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "198.51.100.1".parse().unwrap());
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(Proxies::default().client(peer, &headers), peer);
    }
}
