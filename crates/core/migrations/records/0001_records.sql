-- Records kept apart from the rebuildable fleet cache, so no rebuild of the cache loses them:
-- the action journal (intent and result of every action, who runs it and its heartbeat, so an
-- interrupted one can be resumed or rolled back to the revision before it) and the audit log
-- (who did what, why, how it went). No secret is ever stored: requests hold specs, and specs
-- hold no credentials.
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
    finished TEXT,
    owner_host TEXT NOT NULL DEFAULT '',
    owner_pid INTEGER NOT NULL DEFAULT 0,
    owner_started TEXT NOT NULL DEFAULT '',
    heartbeat TEXT NOT NULL DEFAULT ''
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
    message TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_time ON audit (at);
