-- Statements of the analyst API (jobmarket/api.py, jobmarket/search.py).

-- name: similar_titles
-- $vec query vector, $lang language filter (NULL: all), $k how many
SELECT title_id, title_clean, language, n_postings, similarity
FROM similar_titles($vec::FLOAT[], 2147483647)
WHERE $lang IS NULL OR language = $lang
ORDER BY similarity DESC, title_id
LIMIT $k;

-- name: occupation_by_label
-- Occupations one of whose labels is the text (any language, case-insensitive); preferred labels first.
SELECT l.concept_uri, min(CASE l.kind WHEN 'preferred' THEN 0 WHEN 'alternative' THEN 1 ELSE 2 END) AS rank
FROM esco_labels l
WHERE l.concept_type = 'occupation' AND lower(l.label) = lower(trim(?))
GROUP BY l.concept_uri
ORDER BY rank, l.concept_uri;

-- name: occupation_exists
SELECT count(*) FROM esco_occupations WHERE occupation_uri = ?;

-- name: occupation_summary
SELECT occupation_uri, occupation, label_lang, esco_code, isco_code,
       isco_1, isco_1_label, isco_2, isco_2_label, isco_3, isco_3_label, isco_4_label
FROM occupation_isco WHERE occupation_uri = ?;

-- name: occupation_labels
SELECT lang, kind, label FROM esco_labels
WHERE concept_type = 'occupation' AND concept_uri = ?
ORDER BY lang, CASE kind WHEN 'preferred' THEN 0 WHEN 'alternative' THEN 1 ELSE 2 END, label;

-- name: occupation_skills
SELECT skill_uri, skill, relation, skill_type FROM occupation_skill_labels
WHERE occupation_uri = ? AND relation = ?
ORDER BY skill, skill_uri;

-- name: occupation_postings_by_country
SELECT country, count(*) AS n_postings FROM occupation_postings(?) GROUP BY country ORDER BY n_postings DESC, country;

-- name: occupation_candidates
-- Occupations with their label in label_lang() and ISCO code, for search results.
SELECT occupation_uri, occupation, isco_code FROM occupation_isco WHERE list_contains(?, occupation_uri);

-- name: skill_labels
-- Preferred and alternative skill labels in the chosen languages: what free-text skills are matched to.
SELECT l.concept_uri AS skill_uri, l.lang, l.label
FROM esco_labels l
WHERE l.concept_type = 'skill' AND l.kind IN ('preferred', 'alternative') AND list_contains(?, l.lang)
ORDER BY l.concept_uri, l.lang, l.label;

-- name: skill_names
SELECT concept_uri AS skill_uri, label AS skill FROM esco_preferred_labels
WHERE concept_type = 'skill' AND list_contains(?, concept_uri);

-- name: skill_languages
SELECT DISTINCT lang FROM esco_labels WHERE concept_type = 'skill' ORDER BY lang;

-- name: esco_supply
-- ESCO's essential skills of an occupation as a supply table.
SELECT skill_uri, 1.0 AS weight FROM occupation_skill_labels WHERE occupation_uri = ? AND relation = 'essential';

-- name: country_supply
-- Another country's profile of the same occupation as a supply table.
SELECT skill_uri, weight FROM skill_profile(?, ?);

-- name: skill_gap
SELECT skill_uri, skill, demand, supply, gap, in_supply FROM skill_gap(?, ?, ?);

-- name: run_top_occupations
-- The most matched occupations of one normalize run ($1 run id, $2 how many).
SELECT label, isco_code, count(*) AS n
FROM assignments
WHERE run_id = $1 AND status = 'matched'
GROUP BY ALL
ORDER BY n DESC, label
LIMIT $2
