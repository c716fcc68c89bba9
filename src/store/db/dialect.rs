//! The one difference every query has: SQLite numbers its parameters `?1`, PostgreSQL `$1`.
//! The store writes SQLite's form (which rusqlite also takes bare, `?`), and PostgreSQL gets
//! it renumbered here, once per statement it prepares. Quoted text, quoted names and
//! comments are copied as they are: a `?` there is not a parameter.

/// `sql` with every parameter written as PostgreSQL's `$N`.
pub(super) fn numbered(sql: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::numbered;

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
        ];
        for (sqlite, postgres) in table {
            assert_eq!(numbered(sqlite), postgres, "{sqlite}");
        }
    }
}
