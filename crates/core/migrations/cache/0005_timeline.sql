-- What a tenant's timeline showed while its cluster answered (revisions with their authors,
-- colleagues' actions, hand edits, warnings, restarts, backups), so that it reads offline too.
CREATE TABLE timeline (
    cluster TEXT NOT NULL,
    id      TEXT NOT NULL,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    title   TEXT NOT NULL,
    detail  TEXT NOT NULL,
    by      TEXT NOT NULL,
    PRIMARY KEY (cluster, id, at, kind, title)
);

-- Each tenant's health, version and revision while the window was last open, and when.
CREATE TABLE looked (
    cluster  TEXT NOT NULL,
    id       TEXT NOT NULL,
    health   TEXT NOT NULL,
    version  TEXT NOT NULL,
    revision INTEGER NOT NULL,
    PRIMARY KEY (cluster, id)
);
CREATE TABLE looked_at (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    at       TEXT NOT NULL
);
