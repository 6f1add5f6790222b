//! How commands print: aligned plain-text tables (as kubectl prints them) and JSON.

/// Prints `header` and `rows` with every column padded to its widest cell.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let widths: Vec<usize> = (0..N)
        .map(|i| rows.iter().map(|row| row[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
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

/// A health as its lower-case name.
pub fn health(health: tenantry_model::Health) -> String {
    serde_json::to_value(health).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
