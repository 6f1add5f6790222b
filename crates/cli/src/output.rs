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
