//! Which mobile operator a number is on, by its E.164 prefix (`silence.operators`), so a
//! silence can be laid at one network's door.

use std::collections::BTreeMap;

/// Operators by prefix.
#[derive(Debug, Clone, Default)]
pub struct Operators {
    /// Prefixes, longest first.
    prefixes: Vec<(String, String)>,
}

impl Operators {
    pub fn new(table: &BTreeMap<String, String>) -> Self {
        let mut prefixes: Vec<(String, String)> =
            table.iter().map(|(p, n)| (p.clone(), n.clone())).collect();
        prefixes.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        Self { prefixes }
    }

    /// The operator of `number` (E.164), by its longest known prefix.
    pub fn of(&self, number: &str) -> Option<&str> {
        self.prefixes
            .iter()
            .find(|(prefix, _)| number.starts_with(prefix.as_str()))
            .map(|(_, name)| name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SilenceConfig;

    #[test]
    fn the_longest_prefix_names_the_operator() {
        let operators = Operators::new(&SilenceConfig::default().operators);
        let cases = [
            ("+22376123456", Some("Orange")),
            ("+22366123456", Some("Moov Africa Malitel")),
            ("+22350123456", Some("Telecel")),
            ("+22382123456", Some("Orange")),
            ("+22389123456", Some("Moov Africa Malitel")),
            ("+22394123456", Some("Orange")),
            ("+22395123456", Some("Moov Africa Malitel")),
            ("+22320221234", None),
            ("+22670123456", None),
        ];
        for (number, operator) in cases {
            assert_eq!(operators.of(number), operator, "{number}");
        }
    }
}
