-- Statements of a normalize run (jobmarket/normalize.py). TEMP tables come from the run itself:
-- raw_postings (the reader), _raw_titles (distinct raw title and country, numbered), _title_map (raw
-- title → clean title, language, title_id), _match_rows (one row per unique title: its match, top-k
-- candidates and embedding; written in chunks by the local engine, or read from the Ray engine's
-- Parquet shards). The views _matches, _candidates and _titles present _match_rows to the inserts.

-- name: create_raw_titles
-- One row per raw title and country: the unit of cleaning and language detection, numbered so Python
-- can fetch them a chunk at a time.
CREATE OR REPLACE TEMP TABLE _raw_titles AS
SELECT row_number() OVER (ORDER BY title_raw, country) AS k, *
FROM (
    SELECT title_raw, country,
           any_value(language) AS language,
           any_value(substr(description, 1, 300)) AS description
    FROM raw_postings
    WHERE status = 'ok'
    GROUP BY title_raw, country
);

-- name: raw_titles_count
SELECT count(*) FROM _raw_titles;

-- name: raw_titles_chunk
SELECT title_raw, country, language, description FROM _raw_titles WHERE k > ? AND k <= ? ORDER BY k;

-- name: create_title_map
CREATE OR REPLACE TEMP TABLE _title_map (
    title_raw VARCHAR, country VARCHAR, title_clean VARCHAR, seniority VARCHAR, contract VARCHAR,
    language VARCHAR, title_id VARCHAR
);

-- name: create_unique_titles
-- One row per unique clean title (title_id is a hash of language and clean title), numbered.
CREATE OR REPLACE TEMP TABLE _unique_titles AS
SELECT row_number() OVER (ORDER BY title_id) AS k, title_id, title_clean, language
FROM (SELECT title_id, any_value(title_clean) AS title_clean, any_value(language) AS language
      FROM _title_map WHERE title_id IS NOT NULL GROUP BY title_id);

-- name: unique_titles_count
SELECT count(*) FROM _unique_titles;

-- name: unique_title_languages
SELECT DISTINCT language FROM _unique_titles WHERE language IS NOT NULL ORDER BY language;

-- name: unique_titles_chunk
SELECT title_id, title_clean, language FROM _unique_titles WHERE k > ? AND k <= ? ORDER BY k;

-- name: create_match_rows
-- The matcher's output per unique title; both engines write exactly these columns.
CREATE OR REPLACE TEMP TABLE _match_rows (
    title_id VARCHAR, title_clean VARCHAR, language VARCHAR, occupation_uri VARCHAR,
    score DOUBLE, margin DOUBLE, method VARCHAR, status VARCHAR, reason VARCHAR,
    cand_uris VARCHAR[], cand_scores DOUBLE[], embedding FLOAT[]
);

-- name: match_views
CREATE OR REPLACE TEMP VIEW _matches AS
SELECT title_id, occupation_uri, score, margin, method, status, reason FROM _match_rows;

-- name: candidate_view
CREATE OR REPLACE TEMP VIEW _candidates AS
SELECT title_id, unnest(range(1, len(cand_uris) + 1)) AS rank,
       unnest(cand_uris) AS occupation_uri, unnest(cand_scores) AS score
FROM _match_rows;

-- name: titles_view
CREATE OR REPLACE TEMP VIEW _titles AS
SELECT title_id, title_clean, language, embedding FROM _match_rows;

-- name: superseded_runs
-- Earlier finished normalize runs over the same path (as given or resolved) whose file has changed.
SELECT run_id FROM runs
WHERE command = 'normalize' AND source_file IN (?, ?) AND run_id <> ?
  AND source_sha256 IS DISTINCT FROM ? AND status = 'finished'
ORDER BY started;

-- name: insert_postings
INSERT INTO postings
SELECT ? || ':' || r.source_row, ?, r.source_row, r.external_id, r.title_raw,
       m.title_clean, m.seniority, m.contract, r.description, r.country,
       coalesce(m.language, r.language), r.date, m.title_id
FROM raw_postings r
LEFT JOIN _title_map m ON m.title_raw IS NOT DISTINCT FROM r.title_raw AND m.country IS NOT DISTINCT FROM r.country AND r.status = 'ok';

-- name: insert_assignments
INSERT INTO assignments
SELECT p.posting_id, p.run_id,
       mt.occupation_uri, oi.label, oi.isco_code,
       substr(oi.isco_code, 1, 1), substr(oi.isco_code, 1, 2), substr(oi.isco_code, 1, 3),
       mt.score, mt.margin, mt.method,
       CASE WHEN r.status = 'rejected' THEN 'rejected'
            WHEN m.title_id IS NULL THEN 'rejected'
            ELSE mt.status END,
       CASE WHEN r.status = 'rejected' THEN r.reason
            WHEN m.title_id IS NULL THEN 'title has no letters or digits after cleaning'
            ELSE mt.reason END
FROM postings p
JOIN raw_postings r ON r.source_row = p.source_row
LEFT JOIN _title_map m ON m.title_raw IS NOT DISTINCT FROM r.title_raw AND m.country IS NOT DISTINCT FROM r.country AND r.status = 'ok'
LEFT JOIN _matches mt ON mt.title_id = m.title_id
LEFT JOIN _occupation_info oi ON oi.occupation_uri = mt.occupation_uri
WHERE p.run_id = ?;

-- name: insert_candidates
INSERT INTO assignment_candidates
SELECT p.posting_id, p.run_id, c.rank, c.occupation_uri, c.score
FROM postings p
JOIN _candidates c ON c.title_id = p.title_id
WHERE p.run_id = ?;

-- name: upsert_titles
INSERT OR REPLACE INTO titles
SELECT t.title_id, t.title_clean, t.language,
       (SELECT count(*) FROM postings p WHERE p.title_id = t.title_id),
       ?, t.embedding
FROM _titles t;

-- name: run_counts
SELECT status, count(*) FROM assignments WHERE run_id = ? GROUP BY status ORDER BY status;

-- name: method_counts
SELECT coalesce(method, '-'), count(*) FROM assignments WHERE run_id = ? AND status = 'matched'
GROUP BY 1 ORDER BY 2 DESC;

-- name: result_rows
SELECT p.posting_id, p.source_row, p.external_id, p.title_raw, p.title_clean, p.seniority, p.contract,
       p.language, p.country, a.status, a.reason, a.occupation_uri, a.label, a.isco_code,
       a.isco_1, a.isco_2, a.isco_3, a.score, a.margin, a.method,
       (SELECT list(struct_pack(rank := c.rank, occupation_uri := c.occupation_uri, score := c.score) ORDER BY c.rank)
        FROM assignment_candidates c WHERE c.posting_id = p.posting_id) AS candidates
FROM postings p JOIN assignments a USING (posting_id)
WHERE p.run_id = ?
ORDER BY p.source_row;

-- name: result_rows_csv
-- result_rows with the candidates as one text field "uri=score;…" (CSV has no lists); DuckDB writes it.
SELECT p.posting_id, p.source_row, p.external_id, p.title_raw, p.title_clean, p.seniority, p.contract,
       p.language, p.country, a.status, a.reason, a.occupation_uri, a.label, a.isco_code,
       a.isco_1, a.isco_2, a.isco_3, a.score, a.margin, a.method,
       coalesce((SELECT string_agg(c.occupation_uri || '=' || printf('%.4f', c.score), ';' ORDER BY c.rank)
                 FROM assignment_candidates c WHERE c.posting_id = p.posting_id), '') AS candidates
FROM postings p JOIN assignments a USING (posting_id)
WHERE p.run_id = ?
ORDER BY p.source_row;

-- name: insert_match_shards
-- The Ray engine's output: Parquet shards in the columns of _match_rows.
INSERT INTO _match_rows
SELECT title_id, title_clean, language, occupation_uri, score, margin, method, status, reason,
       cand_uris, cand_scores, embedding
FROM read_parquet(?);

-- name: match_rows_count
SELECT count(*) FROM _match_rows;

-- name: cache_from_match_rows
-- The Ray workers' title embeddings into the store's cache, as the local engine's encoder puts them.
INSERT INTO embedding_cache
SELECT ?, 'anchor', m.title_clean, any_value(m.embedding)
FROM _match_rows m
WHERE NOT EXISTS (SELECT 1 FROM embedding_cache c
                  WHERE c.model_id = ? AND c.route = 'anchor' AND c.text = m.title_clean)
GROUP BY m.title_clean;

-- name: drop_run_temporaries
-- The run's TEMP tables, dropped once it is written (they can hold millions of rows).
DROP VIEW IF EXISTS _matches;
DROP VIEW IF EXISTS _candidates;
DROP VIEW IF EXISTS _titles;
DROP TABLE IF EXISTS _match_rows;
DROP TABLE IF EXISTS _unique_titles;
DROP TABLE IF EXISTS _title_map;
DROP TABLE IF EXISTS _raw_titles;
