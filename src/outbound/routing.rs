//! Which channel a number is sent through: the longest matching E.164 prefix wins (Orange
//! Mali numbers to the `orange` channel, the rest to `africastalking`), else the default;
//! each route lists the channels to fall back to, in order.

use crate::config::{Config, missing_send_setting};

/// Numbers starting with `prefix` go through `channel`, then `fallbacks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// An E.164 prefix (`+22376`); empty for the default route.
    pub prefix: String,
    pub channel: String,
    pub fallbacks: Vec<String>,
}

impl Route {
    /// The channels to try, in order.
    pub fn channels(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.channel.as_str()).chain(self.fallbacks.iter().map(String::as_str))
    }
}

/// Every route, longest prefix first.
#[derive(Debug, Clone)]
pub struct RoutingTable {
    routes: Vec<Route>,
    default: Route,
}

impl RoutingTable {
    pub fn new(mut routes: Vec<Route>, default: Route) -> Self {
        // Longest first, so the first match is the most specific.
        routes.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Self { routes, default }
    }

    /// The route for `recipient` (a stored, normalised address).
    pub fn route(&self, recipient: &str) -> &Route {
        self.routes
            .iter()
            .find(|r| recipient.starts_with(&r.prefix))
            .unwrap_or(&self.default)
    }
}

/// The configured routes; the default is the configured one or else the first channel that
/// can send. `None`: nothing can send, and enqueueing answers so.
pub(super) fn from_config(config: &Config) -> Option<RoutingTable> {
    let out = &config.outbound;
    let default = match &out.default_route {
        Some(d) => Route {
            prefix: String::new(),
            channel: d.channel.clone(),
            fallbacks: d.fallbacks.clone(),
        },
        None => Route {
            prefix: String::new(),
            channel: config
                .channels
                .iter()
                .find(|c| missing_send_setting(c).is_none())?
                .id
                .clone(),
            fallbacks: Vec::new(),
        },
    };
    let routes = out
        .routes
        .iter()
        .map(|r| Route {
            prefix: r.prefix.clone(),
            channel: r.channel.clone(),
            fallbacks: r.fallbacks.clone(),
        })
        .collect();
    Some(RoutingTable::new(routes, default))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(prefix: &str, channel: &str, fallbacks: &[&str]) -> Route {
        Route {
            prefix: prefix.into(),
            channel: channel.into(),
            fallbacks: fallbacks.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn the_longest_prefix_wins_else_the_default() {
        let table = RoutingTable::new(
            vec![
                route("+223", "at", &["twilio"]),
                route("+22376", "orange", &["at", "twilio"]),
                route("+22377", "orange", &["at"]),
            ],
            route("", "twilio", &[]),
        );
        let cases = [
            (
                "orange mali",
                "+22376123456",
                vec!["orange", "at", "twilio"],
            ),
            ("other orange range", "+22377123456", vec!["orange", "at"]),
            ("other mali operator", "+22366123456", vec!["at", "twilio"]),
            ("burkina faso", "+22670123456", vec!["twilio"]),
            ("short code", "21512", vec!["twilio"]),
        ];
        for (name, recipient, expected) in cases {
            let channels: Vec<&str> = table.route(recipient).channels().collect();
            assert_eq!(channels, expected, "{name}");
        }
    }
}
