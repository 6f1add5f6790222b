//! The audit log (and a rollout's report) as people take it away: CSV (RFC 4180, a header row,
//! one row per entry), as the UI's export and `tenantry audit --csv` write it. Safe to open in a spreadsheet: a cell
//! that would start a formula (`=`, `+`, `-`, `@`, a tab or a carriage return) starts with `'`.

/// Why the CSV could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the rows as CSV")]
pub struct CsvError(#[from] csv::Error);

/// `entries` (audit entries, a report's rows: flat records) as CSV text with a header row.
pub fn to_csv<T: serde::Serialize>(entries: &[T]) -> Result<String, CsvError> {
    let mut rows = csv::Writer::from_writer(Vec::new());
    for entry in entries {
        rows.serialize(entry)?;
    }
    let rows = rows.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in csv::ReaderBuilder::new().has_headers(false).from_reader(rows.as_slice()).records() {
        let record = record?;
        writer.write_record(record.iter().map(|cell| inert(cell).into_owned()))?;
    }
    let bytes = writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A cell a spreadsheet reads as text, never as a formula.
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}").into() } else { cell.into() }
}

#[cfg(test)]
mod tests {
    use tenantry_model::{ActionKind, ActionResult, AuditEntry};

    use super::*;

    #[test]
    fn entries_become_quoted_csv_rows_under_a_header() {
        let entry = AuditEntry {
            id: 7,
            at: "2026-11-21T10:00:00Z".into(),
            os_user: "ana".into(),
            identity: "system:serviceaccount:tenantry-system:tenantry-helpdesk".into(),
            context: "eu-west".into(),
            tenant: "alder-books".into(),
            action: ActionKind::Delete,
            revision_before: 3,
            revision_after: 3,
            result: ActionResult::Refused,
            duration_ms: 41,
            message: "Refused: this identity may not delete namespaces, \"really\".".into(),
            reason: "TICKET-42".into(),
        };
        let formula = AuditEntry {
            os_user: "=HYPERLINK(\"http://x\")".into(),
            message: "-2+3".into(),
            reason: "@SUM(A1)".into(),
            tenant: "+cmd".into(),
            ..entry.clone()
        };
        let csv = to_csv(&[entry, formula]).expect("csv");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "id,at,os_user,identity,context,tenant,action,revision_before,revision_after,result,duration_ms,message,reason"
        );
        assert_eq!(
            lines[1],
            "7,2026-11-21T10:00:00Z,ana,system:serviceaccount:tenantry-system:tenantry-helpdesk,eu-west,alder-books,\
             delete,3,3,refused,41,\"Refused: this identity may not delete namespaces, \"\"really\"\".\",TICKET-42"
        );
        assert!(lines[2].starts_with("7,2026-11-21T10:00:00Z,\"'=HYPERLINK(\"\"http://x\"\")\","), "{}", lines[2]);
        assert!(lines[2].ends_with(",'+cmd,delete,3,3,refused,41,'-2+3,'@SUM(A1)"), "{}", lines[2]);
    }
}
