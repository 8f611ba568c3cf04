-- Statements of a normalize run (jobmarket/normalize.py). TEMP tables come from the run itself:
-- raw_postings (the reader), _raw_titles (distinct raw title and country, numbered), _title_map (raw
-- title → clean title, language, title_id), _match_rows (one row per unique title: its match, top-k
-- candidates and embedding; written in chunks by the local engine, or read from the Ray engine's
-- Parquet shards). The views _matches, _candidates and _titles present _match_rows to the inserts.

-- name: create_raw_titles
-- One row per raw title, country and the file's own language value: the unit of cleaning and language
-- detection, numbered so Python can fetch them a chunk at a time. The rule, so that the same file gives
-- the same rows: a row's language column wins (its rows form their own group); where it is empty, the
-- language is detected on the title plus a fixed sample of the group's descriptions (the first three
-- non-empty ones in file order, 300 characters each).
CREATE OR REPLACE TEMP TABLE _raw_titles AS
SELECT row_number() OVER (ORDER BY title_raw, country, language) AS k, *
FROM (
    SELECT title_raw, country, language,
           nullif(array_to_string(list_slice(
               list(substr(description, 1, 300) ORDER BY source_row)
                   FILTER (WHERE nullif(trim(description), '') IS NOT NULL), 1, 3), ' '), '') AS description
    FROM raw_postings
    WHERE status = 'ok'
    GROUP BY title_raw, country, language
);

-- name: raw_titles_count
SELECT count(*) FROM _raw_titles;

-- name: raw_titles_chunk
SELECT title_raw, country, language, description FROM _raw_titles WHERE k > ? AND k <= ? ORDER BY k;

-- name: create_title_map
-- lang_in is the file's own language value of the group (a join key); language is the one used.
CREATE OR REPLACE TEMP TABLE _title_map (
    title_raw VARCHAR, country VARCHAR, lang_in VARCHAR, title_clean VARCHAR, seniority VARCHAR,
    contract VARCHAR, language VARCHAR, title_id VARCHAR
);

-- name: create_unique_titles
-- One row per unique clean title (title_id is a hash of language and clean title), numbered.
CREATE OR REPLACE TEMP TABLE _unique_titles AS
SELECT row_number() OVER (ORDER BY title_id) AS k, title_id, title_clean, language
FROM (SELECT title_id, min(title_clean) AS title_clean, min(language) AS language
      FROM _title_map WHERE title_id IS NOT NULL GROUP BY title_id);

-- name: unique_titles_count
SELECT count(*) FROM _unique_titles;

-- name: unique_title_languages
SELECT DISTINCT language FROM _unique_titles WHERE language IS NOT NULL ORDER BY language;

-- name: unique_title_language_counts
-- Unique titles per detected language: which label languages a run indexes (matching/languages.py).
SELECT language, count(*) FROM _unique_titles WHERE language IS NOT NULL GROUP BY language ORDER BY language;

-- name: unique_titles_chunk
SELECT title_id, title_clean, language FROM _unique_titles WHERE k > ? AND k <= ? ORDER BY k;

-- name: create_match_rows
-- The matcher's output per unique title; both engines write exactly these columns.
CREATE OR REPLACE TEMP TABLE _match_rows (
    title_id VARCHAR, title_clean VARCHAR, language VARCHAR, occupation_uri VARCHAR,
    score DOUBLE, margin DOUBLE, method VARCHAR, status VARCHAR, reason VARCHAR,
    cand_uris VARCHAR[], cand_scores DOUBLE[], embedding FLOAT[],
    similarity DOUBLE, method_score DOUBLE, confidence DOUBLE, cand_confidences DOUBLE[]
);

-- name: match_views
CREATE OR REPLACE TEMP VIEW _matches AS
SELECT title_id, occupation_uri, score, margin, method, status, reason, similarity, method_score, confidence
FROM _match_rows;

-- name: candidate_view
CREATE OR REPLACE TEMP VIEW _candidates AS
SELECT title_id, unnest(range(1, len(cand_uris) + 1)) AS rank,
       unnest(cand_uris) AS occupation_uri, unnest(cand_scores) AS score,
       unnest(cand_confidences) AS confidence
FROM _match_rows;

-- name: titles_view
CREATE OR REPLACE TEMP VIEW _titles AS
SELECT title_id, title_clean, language, embedding FROM _match_rows;

-- name: superseded_runs
-- The current runs this run supersedes: those over the same path (as given or resolved), and those of
-- identical content at another path (the same postings, counted once). Read in the write transaction.
SELECT run_id FROM current_runs
WHERE (source_path IN (?, ?) OR source_file IN (?, ?) OR source_sha256 = ?) AND run_id <> ?
ORDER BY started, run_id;

-- name: mark_superseded
UPDATE runs SET superseded_by = ? WHERE list_contains(?::VARCHAR[], run_id);

-- name: record_supersedes
UPDATE runs SET source_path = ?, supersedes = ?::VARCHAR[] WHERE run_id = ?;

-- name: insert_postings
-- The description where the run's policy keeps it, else only the part skill extraction reads (NULL with
-- descriptions=none; jobmarket/io/privacy.py).
INSERT INTO postings (posting_id, run_id, source_row, external_id, title_raw, title_clean, seniority, contract,
                      description, country, language, date, title_id,
                      country_raw, language_raw, date_raw, source_part, part_row)
SELECT ? || ':' || r.source_row, ?, r.source_row, r.external_id, r.title_raw,
       m.title_clean, m.seniority, m.contract,
       CASE WHEN r.keep_description THEN r.description ELSE r.skill_text END, r.country,
       coalesce(m.language, r.language), r.date, m.title_id,
       r.country_raw, r.language_raw, r.date_raw, r.source_part, r.part_row
FROM raw_postings r
LEFT JOIN _title_map m ON m.title_raw IS NOT DISTINCT FROM r.title_raw AND m.country IS NOT DISTINCT FROM r.country
                     AND m.lang_in IS NOT DISTINCT FROM r.language AND r.status = 'ok';

-- name: insert_assignments
INSERT INTO assignments (posting_id, run_id, occupation_uri, label, isco_code, isco_1, isco_2, isco_3,
                         score, margin, method, status, reason, similarity, method_score, confidence)
SELECT p.posting_id, p.run_id,
       mt.occupation_uri, oi.label, oi.isco_code,
       substr(oi.isco_code, 1, 1), substr(oi.isco_code, 1, 2), substr(oi.isco_code, 1, 3),
       mt.score, mt.margin, mt.method,
       CASE WHEN r.status = 'rejected' THEN 'rejected'
            WHEN m.title_id IS NULL THEN 'rejected'
            ELSE mt.status END,
       CASE WHEN r.status = 'rejected' THEN r.reason
            WHEN m.title_id IS NULL THEN 'title has no letters or digits after cleaning'
            ELSE mt.reason END,
       mt.similarity, mt.method_score, mt.confidence
FROM postings p
JOIN raw_postings r ON r.source_row = p.source_row
LEFT JOIN _title_map m ON m.title_raw IS NOT DISTINCT FROM r.title_raw AND m.country IS NOT DISTINCT FROM r.country
                     AND m.lang_in IS NOT DISTINCT FROM r.language AND r.status = 'ok'
LEFT JOIN _matches mt ON mt.title_id = m.title_id
LEFT JOIN _occupation_info oi ON oi.occupation_uri = mt.occupation_uri
WHERE p.run_id = ?;

-- name: insert_candidates
INSERT INTO assignment_candidates (posting_id, run_id, rank, occupation_uri, score, confidence)
SELECT p.posting_id, p.run_id, c.rank, c.occupation_uri, c.score, c.confidence
FROM postings p
JOIN _candidates c ON c.title_id = p.title_id
WHERE p.run_id = ?;

-- name: upsert_titles
INSERT OR REPLACE INTO titles
SELECT t.title_id, t.title_clean, t.language, 0, ?, t.embedding  -- n_postings: refreshed after
FROM _titles t;

-- name: run_counts
SELECT status, count(*) FROM assignments WHERE run_id = ? GROUP BY status ORDER BY status;

-- name: method_counts
SELECT coalesce(method, '-'), count(*) FROM assignments WHERE run_id = ? AND status = 'matched'
GROUP BY 1 ORDER BY 2 DESC;

-- name: result_rows
SELECT p.posting_id, p.source_row, p.external_id, p.title_raw, p.title_clean, p.seniority, p.contract,
       p.language, p.country, a.status, a.reason, a.occupation_uri, a.label, a.isco_code,
       a.isco_1, a.isco_2, a.isco_3, a.score, a.margin, a.method, a.similarity, a.method_score, a.confidence,
       (SELECT list(struct_pack(rank := c.rank, occupation_uri := c.occupation_uri, score := c.score,
                                 confidence := c.confidence) ORDER BY c.rank)
        FROM assignment_candidates c WHERE c.posting_id = p.posting_id) AS candidates
FROM postings p JOIN assignments a USING (posting_id)
WHERE p.run_id = ?
ORDER BY p.source_row;

-- name: result_rows_csv
-- result_rows with the candidates as one text field "uri=score;…" (CSV has no lists); DuckDB writes it.
SELECT p.posting_id, p.source_row, p.external_id, p.title_raw, p.title_clean, p.seniority, p.contract,
       p.language, p.country, a.status, a.reason, a.occupation_uri, a.label, a.isco_code,
       a.isco_1, a.isco_2, a.isco_3, a.score, a.margin, a.method, a.similarity, a.method_score, a.confidence,
       coalesce((SELECT string_agg(c.occupation_uri || '=' || printf('%.4f', c.score), ';' ORDER BY c.rank)
                 FROM assignment_candidates c WHERE c.posting_id = p.posting_id), '') AS candidates
FROM postings p JOIN assignments a USING (posting_id)
WHERE p.run_id = ?
ORDER BY p.source_row;

-- name: insert_match_shards
-- The Ray engine's output: Parquet shards in the columns of _match_rows.
INSERT INTO _match_rows
SELECT title_id, title_clean, language, occupation_uri, score, margin, method, status, reason,
       cand_uris, cand_scores, embedding, similarity, method_score, confidence, cand_confidences
FROM read_parquet(?);

-- name: unique_titles_from_shards
-- A Ray batch (engines/ray.py RayBatch): the unique titles of many files' runs, each title once.
CREATE OR REPLACE TEMP TABLE _unique_titles AS
SELECT row_number() OVER (ORDER BY title_id) AS k, title_id, title_clean, language
FROM (SELECT title_id, min(title_clean) AS title_clean, min(language) AS language
      FROM read_parquet(?) GROUP BY title_id);

-- name: insert_batch_matches
-- One file's rows of a Ray batch's matches: those of its own unique titles.
INSERT INTO _match_rows
SELECT m.title_id, m.title_clean, m.language, m.occupation_uri, m.score, m.margin, m.method, m.status,
       m.reason, m.cand_uris, m.cand_scores, m.embedding, m.similarity, m.method_score, m.confidence,
       m.cand_confidences
FROM read_parquet(?) m SEMI JOIN _unique_titles u ON u.title_id = m.title_id;

-- name: match_rows_count
SELECT count(*) FROM _match_rows;

-- name: cache_from_match_rows
-- The Ray workers' title embeddings into the run's staged cache rows (written to the store's cache in the
-- run's transaction), as the local engine's encoder puts them.
INSERT INTO _cache_staged
SELECT ?, 'anchor', m.title_clean, arg_min(m.embedding, m.title_id)
FROM _match_rows m
WHERE NOT EXISTS (SELECT 1 FROM _cache_staged c
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

-- name: previous_run
-- The newest finished normalize run over the same path (as given or resolved), before this run is written.
SELECT run_id FROM runs
WHERE command = 'normalize' AND source_file IN (?, ?) AND status = 'finished'
ORDER BY finished DESC, run_id
LIMIT 1;

-- name: changed_assignments
-- Postings of run ? whose occupation or status differs from the same row of run ? (same source row and
-- raw title; rows only one of them has are not counted).
SELECT count(*)
FROM postings p
JOIN assignments a ON a.posting_id = p.posting_id
JOIN postings p0 ON p0.run_id = ? AND p0.source_row = p.source_row AND p0.title_raw IS NOT DISTINCT FROM p.title_raw
JOIN assignments a0 ON a0.posting_id = p0.posting_id
WHERE p.run_id = ?
  AND (a.occupation_uri IS DISTINCT FROM a0.occupation_uri OR a.status IS DISTINCT FROM a0.status);
