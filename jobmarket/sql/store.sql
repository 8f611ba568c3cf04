-- Statements used by jobmarket/store.py. Each section is one statement, named by `-- name:`.

-- name: cache_lookup
SELECT c.text, c.embedding
FROM embedding_cache c
JOIN _cache_query q ON q.text = c.text
WHERE c.model_id = ? AND c.route = ?;

-- name: cache_insert
INSERT OR IGNORE INTO embedding_cache SELECT ?, ?, n.text, n.embedding FROM _cache_new n;

-- name: create_cache_staged
-- A run's new cache rows, kept in its private DuckDB until its write transaction.
CREATE TEMP TABLE IF NOT EXISTS _cache_staged (
    model_id VARCHAR, route VARCHAR, text VARCHAR, embedding FLOAT[]
);

-- name: cache_staged_lookup
SELECT c.text, c.embedding FROM _cache_staged c JOIN _cache_query q ON q.text = c.text
WHERE c.model_id = ? AND c.route = ?;

-- name: cache_staged_insert
INSERT INTO _cache_staged SELECT ?, ?, n.text, n.embedding FROM _cache_new n;

-- name: cache_flush
-- Into the store's cache in the run's transaction; vectors of another size than the store's are not kept.
INSERT OR IGNORE INTO embedding_cache
SELECT model_id, route, text, min(embedding) FROM _cache_staged
WHERE len(embedding) = coalesce((SELECT max(value)::INTEGER FROM store_meta WHERE key = 'model_dim'),
                                len(embedding))
GROUP BY model_id, route, text;

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
