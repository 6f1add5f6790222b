-- Who runs a rollout and when it last said so: a rollout still `running` whose owner process
-- is gone (the app closed, the CLI was killed) is shown paused where it stopped, and only one
-- process runs a rollout at a time.
ALTER TABLE rollouts ADD COLUMN owner_host TEXT NOT NULL DEFAULT '';
ALTER TABLE rollouts ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN owner_started TEXT NOT NULL DEFAULT '';
ALTER TABLE rollouts ADD COLUMN heartbeat TEXT NOT NULL DEFAULT '';
