-- The action journal (intent and result of every action, so an interrupted one can be resumed
-- or rolled back to the revision before it) and the audit log (who did what, how it went). No
-- secret is ever stored: requests hold specs, and specs hold no credentials.
CREATE TABLE journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    context TEXT NOT NULL,
    tenant TEXT NOT NULL,
    action TEXT NOT NULL,
    request TEXT NOT NULL,
    revision_before INTEGER NOT NULL,
    state TEXT NOT NULL,
    step TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    finished TEXT
);
CREATE INDEX journal_by_state ON journal (state);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    os_user TEXT NOT NULL,
    identity TEXT NOT NULL,
    context TEXT NOT NULL,
    tenant TEXT NOT NULL,
    action TEXT NOT NULL,
    revision_before INTEGER NOT NULL,
    revision_after INTEGER NOT NULL,
    result TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit (at);
