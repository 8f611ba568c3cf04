-- 002: store correctness (issue 10). Runs say what they supersede; the embedding cache gets its key; the
-- cluster model is kept as arrays (table cluster_model_arrays, schema_cluster.sql), never as a pickle.
-- Typing the embedding columns as FLOAT[d] needs the bound model's d: jobmarket/store/binding.py does that
-- in this migration's transaction (schema.POST_STEPS), and at bind time for new stores.

-- Runs: the resolved source path, the runs this one superseded, and the run that superseded it.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS source_path VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS supersedes VARCHAR[];
ALTER TABLE runs ADD COLUMN IF NOT EXISTS superseded_by VARCHAR;
UPDATE runs SET source_path = source_file WHERE source_path IS NULL AND command = 'normalize';

-- Stores written before: the newest finished normalize run of a path (or of the same content) supersedes
-- the older ones, so an upgraded store stops counting both versions of an overwritten file.
UPDATE runs SET superseded_by = newer.run_id
FROM (
    SELECT o.run_id AS old_id,
           arg_max(n.run_id, n.finished) AS run_id
    FROM runs o JOIN runs n
      ON n.command = 'normalize' AND n.status = 'finished' AND n.run_id <> o.run_id
     AND (n.source_path = o.source_path OR n.source_sha256 = o.source_sha256)
     AND (n.finished > o.finished OR (n.finished = o.finished AND n.run_id > o.run_id))
    WHERE o.command = 'normalize' AND o.status = 'finished'
    GROUP BY o.run_id
) newer
WHERE runs.run_id = newer.old_id AND runs.superseded_by IS NULL;

-- The embedding cache with its primary key (one vector per model, route and text; duplicates of older
-- stores are the same vector written twice, so any one is kept).
CREATE TABLE embedding_cache_keyed (
    model_id  VARCHAR NOT NULL,
    route     VARCHAR NOT NULL,
    text      VARCHAR NOT NULL,
    embedding FLOAT[] NOT NULL,
    PRIMARY KEY (model_id, route, text)
);
INSERT INTO embedding_cache_keyed
SELECT model_id, route, text, any_value(embedding) FROM embedding_cache GROUP BY model_id, route, text;
DROP TABLE embedding_cache;
ALTER TABLE embedding_cache_keyed RENAME TO embedding_cache;

-- The pickled cluster model goes: it is never loaded again (a refit rebuilds the arrays).
ALTER TABLE cluster_runs DROP COLUMN IF EXISTS model;
