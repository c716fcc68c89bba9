//! The store writes its queries in SQLite's spelling; PostgreSQL gets them translated here,
//! once per statement it prepares. The translation is small on purpose, the schema being the
//! same on both; what differs more is said per engine where the query is (`Db::dialect`):
//! - parameters: `?1` (or bare `?`) becomes `$1`;
//! - `instr(text, part)` becomes `strpos(text, part)`, `group_concat(x, sep)` becomes
//!   `string_agg(x, sep)` (both take the same arguments in the same order);
//! - a JSON path on a text column, `column ->> '$.a.b'`, becomes
//!   `column ::jsonb #>> '{a,b}'`.
//!
//! Quoted text, quoted names and comments are copied as they are.

/// Functions renamed: SQLite's name, PostgreSQL's.
const RENAMED: [(&str, &str); 2] = [("instr(", "strpos("), ("group_concat(", "string_agg(")];

/// `sql` as PostgreSQL says it.
pub(super) fn for_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next_bare = 1u32;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for q in chars.by_ref() {
                    out.push(q);
                    if q == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for q in chars.by_ref() {
                    out.push(q);
                    if q == '\n' {
                        break;
                    }
                }
            }
            '-' if rest(&chars).starts_with(">>") => {
                chars.next();
                chars.next();
                json_path(&mut out, &mut chars);
            }
            c if c.is_ascii_alphabetic() && !continues_a_word(&out) => {
                let here = format!("{c}{}", rest(&chars));
                match RENAMED
                    .iter()
                    .find(|(from, _)| starts_with_ignoring_case(&here, from))
                {
                    Some((from, to)) => {
                        out.push_str(to);
                        for _ in 1..from.len() {
                            chars.next();
                        }
                    }
                    None => out.push(c),
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    out.push_str(&next_bare.to_string());
                    next_bare += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// What is left of `sql` after what `chars` has taken.
fn rest(chars: &Chars<'_>) -> String {
    chars.clone().take(24).collect()
}

fn continues_a_word(out: &str) -> bool {
    out.chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// After `->>`: a `'$.a.b'` path becomes `::jsonb #>> '{a,b}'`; anything else stays `->>`.
fn json_path(out: &mut String, chars: &mut Chars<'_>) {
    let mut ahead = chars.clone();
    let spaces = ahead.by_ref().take_while(|c| *c == ' ').count();
    let literal: String = std::iter::once('\'')
        .chain(chars.clone().skip(spaces + 1).take_while(|c| *c != '\''))
        .collect();
    let Some(path) = literal.strip_prefix("'$.") else {
        out.push_str("->>");
        return;
    };
    out.push_str("::jsonb #>> '{");
    out.push_str(&path.replace('.', ","));
    out.push_str("}'");
    // The spaces, the path and both quotes.
    for _ in 0..spaces + literal.len() + 1 {
        chars.next();
    }
}

#[cfg(test)]
mod tests {
    use super::for_postgres;

    #[test]
    fn parameters_are_renumbered_and_nothing_else_moves() {
        let table = [
            ("SELECT 1", "SELECT 1"),
            (
                "SELECT * FROM t WHERE a = ?1",
                "SELECT * FROM t WHERE a = $1",
            ),
            ("VALUES (?1, ?2, ?12)", "VALUES ($1, $2, $12)"),
            ("VALUES (?, ?, ?)", "VALUES ($1, $2, $3)"),
            ("WHERE a = ?2 OR b = ?2", "WHERE a = $2 OR b = $2"),
            ("WHERE t = '?1' AND u = ?1", "WHERE t = '?1' AND u = $1"),
            (
                "WHERE t = 'it''s ?' AND u = ?1",
                "WHERE t = 'it''s ?' AND u = $1",
            ),
            (
                "SELECT \"a?\" FROM t WHERE x = ?1",
                "SELECT \"a?\" FROM t WHERE x = $1",
            ),
            (
                "SELECT a -- why? because\nFROM t WHERE x = ?3",
                "SELECT a -- why? because\nFROM t WHERE x = $3",
            ),
            ("SELECT a - ?1", "SELECT a - $1"),
            (
                "WHERE name = 'Ségou' AND n = ?1",
                "WHERE name = 'Ségou' AND n = $1",
            ),
            (
                "WHERE instr(lower(name), lower(?3)) > 0",
                "WHERE strpos(lower(name), lower($3)) > 0",
            ),
            (
                "SELECT INSTR(a, b), constr(x)",
                "SELECT strpos(a, b), constr(x)",
            ),
            (
                "SELECT group_concat(z.zone, ';') FROM z",
                "SELECT string_agg(z.zone, ';') FROM z",
            ),
            (
                "SELECT 'instr(' || my_instr(a)",
                "SELECT 'instr(' || my_instr(a)",
            ),
            (
                "coalesce(i.corrected ->> '$.place.chain', '')",
                "coalesce(i.corrected ::jsonb #>> '{place,chain}', '')",
            ),
            (
                "SELECT corrected->>'$.a' FROM t",
                "SELECT corrected::jsonb #>> '{a}' FROM t",
            ),
            ("SELECT doc ->> 'key' FROM t", "SELECT doc ->> 'key' FROM t"),
            ("SELECT a->b, c - ?2", "SELECT a->b, c - $2"),
        ];
        for (sqlite, postgres) in table {
            assert_eq!(for_postgres(sqlite), postgres, "{sqlite}");
        }
    }
}
