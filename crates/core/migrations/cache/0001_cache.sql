-- The local cache of the fleet: what was last seen of every cluster and tenant.

-- Every cluster (context) Tenantry has watched.
CREATE TABLE clusters (
    context    TEXT PRIMARY KEY NOT NULL,
    first_seen TEXT NOT NULL
);

-- Per cluster, how its watches stood when last written.
CREATE TABLE sync_state (
    context    TEXT PRIMARY KEY NOT NULL REFERENCES clusters (context) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    last_error TEXT,            -- UiError as JSON
    last_live  TEXT,            -- RFC 3339
    notes      TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL
);

-- The last live summary of every tenant (TenantSummary as JSON).
CREATE TABLE tenants (
    cluster  TEXT NOT NULL,
    id       TEXT NOT NULL,
    summary  TEXT NOT NULL,
    health   TEXT NOT NULL,
    seen_at  TEXT NOT NULL,     -- when this summary was last seen live
    PRIMARY KEY (cluster, id)
);

-- Every spec revision seen, kept after the tenant is deleted so it can be re-created.
CREATE TABLE tenant_specs (
    cluster  TEXT NOT NULL,
    id       TEXT NOT NULL,
    revision INTEGER NOT NULL,
    spec     TEXT NOT NULL,     -- the tenantry.io/spec annotation, JSON
    seen_at  TEXT NOT NULL,
    PRIMARY KEY (cluster, id, revision)
);

-- Each change of a tenant's health as Tenantry saw it.
CREATE TABLE health_transitions (
    cluster TEXT NOT NULL,
    id      TEXT NOT NULL,
    at      TEXT NOT NULL,
    health  TEXT NOT NULL,
    reason  TEXT NOT NULL
);
CREATE INDEX health_transitions_by_tenant ON health_transitions (cluster, id, at);
