-- The action journal and the audit log live in records.sqlite from now on, apart from this
-- rebuildable fleet cache (their rows were carried over before this ran).
DROP TABLE journal;
DROP TABLE audit;
