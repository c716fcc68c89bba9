//! How `/metrics` is written: OpenMetrics as `prometheus-client` encodes it, or the classic
//! text format 0.0.4 that `promtool check metrics` and older scrapers read, as the
//! scraper's `Accept` prefers. Pure.

/// The two expositions scrapers ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`: what `promtool check metrics` and older scrapers read.
    Text004,
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
}

impl Format {
    /// The format an `Accept` header prefers (by its q-values); the classic text format
    /// when it names neither.
    pub fn negotiate(accept: Option<&str>) -> Self {
        let weight = |wanted: &str| {
            accept
                .unwrap_or_default()
                .split(',')
                .filter_map(|range| {
                    let mut parts = range.split(';').map(str::trim);
                    let media = parts.next()?.to_ascii_lowercase();
                    let q = parts
                        .find_map(|p| p.strip_prefix("q="))
                        .and_then(|q| q.parse::<f32>().ok())
                        .unwrap_or(1.0);
                    (media == wanted).then_some(q)
                })
                .fold(0.0_f32, f32::max)
        };
        if weight("application/openmetrics-text") > weight("text/plain") {
            Self::OpenMetrics
        } else {
            Self::Text004
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Text004 => "text/plain; version=0.0.4; charset=utf-8",
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// OpenMetrics rewritten as text 0.0.4: a counter's `# HELP` and `# TYPE` name its samples
/// (`_total`), and the OpenMetrics-only lines (`# UNIT`, `# EOF`) go.
pub(super) fn text_004(open_metrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = open_metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open_metrics.len());
    for line in open_metrics.lines() {
        if line.starts_with("# EOF") || line.starts_with("# UNIT ") {
            continue;
        }
        let described = ["# HELP ", "# TYPE "].iter().find_map(|head| {
            let (name, rest) = line.strip_prefix(head)?.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{head}{name}_total {rest}"))
        });
        out.push_str(described.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Metrics;
    use super::*;

    #[test]
    fn the_classic_format_describes_every_family_by_its_samples_names() {
        let metrics = Metrics::new();
        metrics.inbound("sim", "stored");
        let text = metrics.render(1, Format::Text004);
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE vigie_inbound_messages_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("# HELP vigie_inbound_messages_total "),
            "{text}"
        );
        // Every sample's family has its HELP and TYPE, under the name the sample starts with.
        let typed: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE ")?.split(' ').next())
            .collect();
        for sample in text.lines().filter(|l| !l.starts_with('#')) {
            let name = sample.split(['{', ' ']).next().unwrap_or_default();
            let family = typed.iter().find(|t| {
                name == **t
                    || ["_bucket", "_sum", "_count"]
                        .iter()
                        .any(|s| name == format!("{t}{s}"))
            });
            let family = family.unwrap_or_else(|| panic!("no TYPE for {name}: {text}"));
            assert!(
                text.contains(&format!("# HELP {family} ")),
                "no HELP for {family}"
            );
        }
        let open = metrics.render(1, Format::OpenMetrics);
        assert!(
            open.ends_with("# EOF\n") && open.contains("# TYPE vigie_inbound_messages counter")
        );
    }

    #[test]
    fn the_scraper_chooses_the_format() {
        let cases = [
            (None, Format::Text004),
            (Some("*/*"), Format::Text004),
            (Some("text/plain;version=0.0.4"), Format::Text004),
            (
                Some("application/openmetrics-text; version=1.0.0"),
                Format::OpenMetrics,
            ),
            (
                Some(
                    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                ),
                Format::OpenMetrics,
            ),
            (
                Some("application/openmetrics-text;q=0.2,text/plain;q=0.9"),
                Format::Text004,
            ),
        ];
        for (accept, expected) in cases {
            assert_eq!(Format::negotiate(accept), expected, "{accept:?}");
        }
    }
}
