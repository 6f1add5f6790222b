//! How commands print: aligned plain-text tables (as kubectl prints them) and JSON. Text that
//! came from a cluster or a user is printed inert: a line break, an escape sequence or any other
//! control character shows as its escape (`\n`, `\u{1b}`), so it can neither forge a line nor
//! drive the terminal.

use std::borrow::Cow;

use tenantry_model::UiError;

/// `text` with every control character shown as its escape.
pub fn inert(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
    } else {
        Cow::Borrowed(text)
    }
}

/// Prints `error` on stderr after `prefix` (`error`, a context name): its message, then its detail.
pub fn error(prefix: &str, error: &UiError) {
    eprintln!("{}: {}\n  {}", inert(prefix), inert(&error.message), inert(&error.detail));
}

/// Prints `header` and `rows` with every column padded to its widest cell.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let rows: Vec<Vec<Cow<'_, str>>> = rows.iter().map(|row| row.iter().map(|cell| inert(cell)).collect()).collect();
    let widths: Vec<usize> = (0..N)
        .map(|i| rows.iter().map(|row| row[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(AsRef::as_ref).collect());
    }
}

/// Prints `value` as pretty JSON (`pretty`) or as one line.
pub fn json(value: &impl serde::Serialize, pretty: bool) {
    let encoded = if pretty { serde_json::to_string_pretty(value) } else { serde_json::to_string(value) };
    match encoded {
        Ok(text) => println!("{text}"),
        Err(err) => eprintln!("error: cannot encode the output as JSON: {err}"),
    }
}

/// Where a row comes from, for people: "live", "cached, 5 min old", "stale, seen 2 min ago".
pub fn freshness(freshness: &tenantry_model::Freshness) -> String {
    match freshness {
        tenantry_model::Freshness::Live => "live".into(),
        tenantry_model::Freshness::Cached { as_of } => format!("cached, {} old", age(as_of)),
        tenantry_model::Freshness::Stale { last_seen } => format!("stale, seen {} ago", age(last_seen)),
    }
}

/// How long ago the RFC 3339 time `at` was ("?" when it cannot be read).
pub fn age(at: &str) -> String {
    match at.parse::<jiff::Timestamp>() {
        Ok(then) => tenantry_model::format_age(jiff::Timestamp::now().duration_since(then).as_secs()),
        Err(_) => "?".into(),
    }
}

/// How long ago the RFC 3339 time `at` was, as a phrase: "just now", "5 min ago".
pub fn ago(at: &str) -> String {
    match age(at) {
        just_now if just_now == "just now" => just_now,
        age => format!("{age} ago"),
    }
}

/// A health as its lower-case name.
pub fn health(health: tenantry_model::Health) -> String {
    health.name().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_outside_cannot_forge_a_line_or_drive_the_terminal() {
        assert_eq!(inert("Alder Books"), "Alder Books");
        assert_eq!(inert("a\n7 ago  root\u{1b}[2J"), "a\\n7 ago  root\\u{1b}[2J");
        assert!(matches!(inert("plain"), Cow::Borrowed(_)));
    }
}
