-- Who runs a journal entry (host, process id and that process's start time, so a reused
-- process id is not taken for the owner) and when it last said it still runs: only an action
-- whose owner is gone is offered Resume or Roll back. The reason a user gave for an action (a
-- ticket number) is kept in the audit log.
ALTER TABLE journal ADD COLUMN owner_host TEXT NOT NULL DEFAULT '';
ALTER TABLE journal ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE journal ADD COLUMN owner_started TEXT NOT NULL DEFAULT '';
ALTER TABLE journal ADD COLUMN heartbeat TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN reason TEXT NOT NULL DEFAULT '';
