-- Fleet rollouts: one change to many tenants, frozen into a list when planned, run in waves.
-- Every tenant's state is written as it changes, so a rollout survives the app closing.
CREATE TABLE rollouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    reason TEXT NOT NULL,
    by TEXT NOT NULL,
    created TEXT NOT NULL,
    settings TEXT NOT NULL,     -- RolloutSettings as JSON
    state TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT ''
);

CREATE TABLE rollout_tenants (
    rollout INTEGER NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    context TEXT NOT NULL,
    tenant TEXT NOT NULL,
    wave INTEGER NOT NULL,
    change TEXT NOT NULL,       -- Change as JSON (specs hold no credentials)
    revision_before INTEGER NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    started TEXT,
    finished TEXT,
    PRIMARY KEY (rollout, position)
);
