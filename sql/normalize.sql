-- Statements of a normalize run (jobmarket/normalize.py). Temp tables come from the run itself:
-- raw_postings (the reader), _title_map (raw title → clean title, language, title_id),
-- _matches (title_id → match), _candidates (title_id → ranked alternatives).

-- name: unique_raw_titles
-- One row per raw title and country: the unit of cleaning and language detection.
SELECT title_raw, country,
       any_value(language) AS language,
       any_value(substr(description, 1, 300)) AS description,
       count(*) AS n
FROM raw_postings
WHERE status = 'ok'
GROUP BY title_raw, country;

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
