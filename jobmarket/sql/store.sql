-- Statements used by jobmarket/store.py. Each section is one statement, named by `-- name:`.

-- name: cache_lookup
SELECT c.text, c.embedding
FROM embedding_cache c
JOIN _cache_query q ON q.text = c.text
WHERE c.model_id = ? AND c.route = ?;

-- name: cache_insert
INSERT INTO embedding_cache
SELECT ?, ?, n.text, n.embedding FROM _cache_new n
WHERE NOT EXISTS (
    SELECT 1 FROM embedding_cache c WHERE c.model_id = ? AND c.route = ? AND c.text = n.text
);

-- name: delete_run
DELETE FROM {table} WHERE run_id = ?;

-- name: run_start
INSERT OR REPLACE INTO runs (run_id, command, source_file, source_sha256, model_id, model_dim,
                             esco_versions, params, status, started)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', current_timestamp);

-- name: run_finish
UPDATE runs SET status = 'finished', finished = current_timestamp, counts = ? WHERE run_id = ?;

-- name: meta_get
SELECT value FROM store_meta WHERE key = ?;

-- name: meta_set
INSERT OR REPLACE INTO store_meta VALUES (?, ?);

-- name: esco_versions
SELECT coalesce(string_agg(DISTINCT version || ':' || coalesce(lang, '-'), ',' ORDER BY version || ':' || coalesce(lang, '-')), '')
FROM esco_sources;

-- name: run_delete
DELETE FROM runs WHERE run_id = ?;
