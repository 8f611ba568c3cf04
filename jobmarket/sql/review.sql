-- The review queue (jobmarket/coding/review.py): the titles of the current postings most worth a coder's time,
-- one row per (cleaned title, country, language), with the top candidates and an empty `answer` column
-- (the column `jobmarket codes import` reads as the occupation).
-- {confidence} and {cand_confidence} are the assignment's and the candidates' confidence columns (or their
-- score where a store has no confidence yet); {not_coded} leaves out titles already in the coding index.
-- Parameters: $statuses (VARCHAR[]), $countries (VARCHAR[] or NULL: all), $lang (label language,
-- English where missing), $order ('uncertainty' | 'postings'), $limit (BIGINT or NULL: all).

-- name: queue
WITH occ_label AS (
    SELECT l.concept_uri AS occupation_uri,
           coalesce(max(l.label) FILTER (WHERE l.lang = $lang), max(l.label) FILTER (WHERE l.lang = 'en'),
                    min(l.label)) AS label
    FROM esco_labels l
    WHERE l.concept_type = 'occupation' AND l.kind = 'preferred'
    GROUP BY l.concept_uri
),
posts AS (
    SELECT p.posting_id, p.title_clean, p.title_raw, p.country, p.language, a.status,
           {confidence} AS confidence
    FROM current_postings p
    JOIN assignments a ON a.posting_id = p.posting_id
    WHERE p.title_clean IS NOT NULL AND list_contains($statuses, a.status)
      AND ($countries IS NULL OR list_contains($countries, p.country))
),
grouped AS (
    -- A title's postings share one match per run; the first posting stands for the group's candidates.
    SELECT title_clean AS title, country, language, count(*) AS n_postings,
           min(posting_id) AS posting_id, mode(title_raw) AS example_title
    FROM posts
    GROUP BY title_clean, country, language
),
queue AS (
    -- Ordered and cut before the candidates are gathered: a --limit of 500 reads 500 titles' candidates.
    SELECT g.*, p.status, p.confidence,
           row_number() OVER (ORDER BY CASE WHEN $order = 'postings' THEN -g.n_postings ELSE 0 END,
                              p.confidence ASC NULLS FIRST, g.n_postings DESC, g.title,
                              g.country NULLS LAST, g.language NULLS LAST) AS position
    FROM grouped g JOIN posts p ON p.posting_id = g.posting_id
    WHERE {not_coded}
    QUALIFY $limit IS NULL OR position <= $limit
),
cands AS (
    SELECT c.posting_id,
           list(struct_pack(uri := c.occupation_uri, label := ol.label, confidence := {cand_confidence})
                ORDER BY c.rank) AS c
    FROM assignment_candidates c
    JOIN queue q ON q.posting_id = c.posting_id
    LEFT JOIN occ_label ol ON ol.occupation_uri = c.occupation_uri
    WHERE c.rank <= 5
    GROUP BY c.posting_id
)
SELECT q.title, q.country, q.language, q.n_postings,
       CAST(NULL AS VARCHAR) AS answer,  -- the coder's answer: an ESCO occupation URI or code
       q.status, round(q.confidence, 4) AS confidence, q.example_title,
       c.c[1].label AS candidate_1, c.c[1].uri AS candidate_1_uri, round(c.c[1].confidence, 4) AS candidate_1_confidence,
       c.c[2].label AS candidate_2, c.c[2].uri AS candidate_2_uri, round(c.c[2].confidence, 4) AS candidate_2_confidence,
       c.c[3].label AS candidate_3, c.c[3].uri AS candidate_3_uri, round(c.c[3].confidence, 4) AS candidate_3_confidence,
       c.c[4].label AS candidate_4, c.c[4].uri AS candidate_4_uri, round(c.c[4].confidence, 4) AS candidate_4_confidence,
       c.c[5].label AS candidate_5, c.c[5].uri AS candidate_5_uri, round(c.c[5].confidence, 4) AS candidate_5_confidence
FROM queue q
LEFT JOIN cands c ON c.posting_id = q.posting_id
ORDER BY q.position;

-- name: has_column
SELECT count(*) > 0 FROM duckdb_columns() WHERE table_name = ? AND column_name = ?;

-- name: has_table
SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = ?;

-- name: not_coded
-- A title is answered once the coding index holds it in its language (or with no language).
NOT EXISTS (SELECT 1 FROM coded_titles ct
            WHERE ct.title_clean = g.title AND (ct.language IS NULL OR ct.language IS NOT DISTINCT FROM g.language))
