//! The likely cause of a zone's silence. When SMS to the zone's numbers on one operator
//! expire or fail and none is delivered, while SMS elsewhere are delivered (so the gateway
//! and its providers work), that operator's network there is probably cut. Without such
//! evidence no cause is named: a silence may also be fear, a holiday or flat batteries.

/// What became of SMS sent to some numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deliveries {
    pub delivered: u32,
    /// Failed or expired.
    pub undelivered: u32,
}

/// SMS undelivered to one operator's numbers in the zone before it is named.
pub const MIN_UNDELIVERED: u32 = 2;

/// The operators whose network in the zone is probably cut: `zone` is what became of SMS
/// to the zone's numbers by operator during the silence, `elsewhere` the same for the rest
/// of the deployment.
pub fn probable_cuts<'a>(
    zone: &[(&'a str, Deliveries)],
    elsewhere: &[(&str, Deliveries)],
) -> Vec<&'a str> {
    if !elsewhere.iter().any(|(_, d)| d.delivered > 0) {
        return Vec::new();
    }
    let mut cut: Vec<&str> = zone
        .iter()
        .filter(|(_, d)| d.delivered == 0 && d.undelivered >= MIN_UNDELIVERED)
        .map(|(operator, _)| *operator)
        .collect();
    cut.sort_unstable();
    cut.dedup();
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(delivered: u32, undelivered: u32) -> Deliveries {
        Deliveries {
            delivered,
            undelivered,
        }
    }

    /// A name, the zone's deliveries, elsewhere's, and the operators named.
    type Case<'a> = (
        &'static str,
        Vec<(&'static str, Deliveries)>,
        &'a [(&'static str, Deliveries)],
        Vec<&'static str>,
    );

    #[test]
    fn an_operator_is_named_only_on_evidence() {
        let elsewhere_fine = [("Orange", d(40, 1)), ("Moov Africa Malitel", d(25, 0))];
        let nowhere = [("Orange", d(0, 30)), ("Telecel", d(0, 4))];
        let cases: Vec<Case<'_>> = vec![
            (
                "Orange expires in the zone, Malitel delivers there",
                vec![("Orange", d(0, 5)), ("Moov Africa Malitel", d(3, 0))],
                &elsewhere_fine,
                vec!["Orange"],
            ),
            (
                "both cut",
                vec![("Orange", d(0, 5)), ("Moov Africa Malitel", d(0, 2))],
                &elsewhere_fine,
                vec!["Moov Africa Malitel", "Orange"],
            ),
            (
                "one failure is no evidence",
                vec![("Orange", d(0, 1))],
                &elsewhere_fine,
                vec![],
            ),
            (
                "some delivered: not cut",
                vec![("Orange", d(1, 6))],
                &elsewhere_fine,
                vec![],
            ),
            (
                "nothing delivered anywhere: our sending, not their network",
                vec![("Orange", d(0, 5))],
                &nowhere,
                vec![],
            ),
            (
                "nothing was sent to the zone",
                vec![],
                &elsewhere_fine,
                vec![],
            ),
        ];
        for (name, zone, elsewhere, expected) in cases {
            assert_eq!(probable_cuts(&zone, elsewhere), expected, "{name}");
        }
    }
}
