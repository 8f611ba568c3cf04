-- Statements of a skills run (jobmarket/skills.py). Temp tables come from the run itself:
-- _new_skills (posting_id, skill_uri, score, method, evidence, start, end), _model_rank (occupation_uri,
-- skill_uri, weight), _processed (the postings that skill profiles count, built by processed_postings).

-- name: skill_labels
-- Skill labels of every loaded language; hidden labels are misspellings: exact/fuzzy lookup only.
SELECT l.concept_uri, l.lang, l.label, l.kind
FROM esco_labels l
WHERE l.concept_type = 'skill' AND nullif(trim(l.label), '') IS NOT NULL
ORDER BY l.concept_uri, l.lang, l.kind, l.label;

-- name: latest_run
SELECT run_id FROM runs WHERE command = 'normalize' AND status = 'finished' ORDER BY finished DESC LIMIT 1;

-- name: run_exists
SELECT count(*) FROM runs WHERE run_id = ? AND command = 'normalize';

-- name: run_postings
SELECT posting_id, description, language
FROM postings
WHERE run_id = ? AND nullif(trim(description), '') IS NOT NULL
ORDER BY source_row;

-- name: delete_posting_skills
DELETE FROM posting_skills WHERE run_id = ?;

-- name: insert_posting_skills
INSERT INTO posting_skills
SELECT posting_id, ?, skill_uri, score, method, evidence, "start", "end" FROM _new_skills;

-- name: profile_occupations
-- Occupations whose matched postings the profiles will count: those of runs already processed, and this run.
SELECT DISTINCT a.occupation_uri,
       coalesce(max(l.label) FILTER (WHERE l.lang = 'en'), max(l.label)) AS label
FROM assignments a
JOIN esco_labels l ON l.concept_uri = a.occupation_uri AND l.concept_type = 'occupation' AND l.kind = 'preferred'
WHERE a.status = 'matched'
  AND (a.run_id = ? OR a.run_id IN (SELECT json_extract_string(params, '$.source_run') FROM runs
                                    WHERE command = 'skills' AND status = 'finished'))
GROUP BY a.occupation_uri
ORDER BY a.occupation_uri;

-- name: processed_postings
-- Postings with a description from every run whose skills were extracted, with their matched occupation.
CREATE OR REPLACE TEMP TABLE _processed AS
SELECT p.posting_id, p.run_id, p.country, p.title_id, a.occupation_uri
FROM postings p
LEFT JOIN assignments a ON a.posting_id = p.posting_id AND a.run_id = p.run_id AND a.status = 'matched'
WHERE nullif(trim(p.description), '') IS NOT NULL
  AND p.run_id IN (SELECT json_extract_string(params, '$.source_run') FROM runs
                   WHERE command = 'skills' AND status = 'finished');

-- name: delete_profiles
DELETE FROM skill_profiles;

-- name: profile_occupation
-- weight = share of the occupation's postings (with a description) that ask for the skill.
INSERT INTO skill_profiles
WITH n AS (
    SELECT occupation_uri, count(*) AS n FROM _processed WHERE occupation_uri IS NOT NULL GROUP BY ALL
), k AS (
    SELECT pp.occupation_uri, s.skill_uri, count(DISTINCT s.posting_id) AS k
    FROM posting_skills s JOIN _processed pp ON pp.posting_id = s.posting_id AND pp.run_id = s.run_id
    WHERE pp.occupation_uri IS NOT NULL
    GROUP BY ALL
), rel AS (
    SELECT occupation_uri, skill_uri, min(relation) AS relation FROM esco_occupation_skills GROUP BY ALL
)
SELECT 'occupation', k.occupation_uri, NULL, NULL, k.skill_uri, k.k / n.n, n.n, 'postings', rel.relation
FROM k JOIN n USING (occupation_uri)
LEFT JOIN rel USING (occupation_uri, skill_uri);

-- name: profile_occupation_country
INSERT INTO skill_profiles
WITH n AS (
    SELECT occupation_uri, country, count(*) AS n FROM _processed
    WHERE occupation_uri IS NOT NULL AND country IS NOT NULL GROUP BY ALL
), k AS (
    SELECT pp.occupation_uri, pp.country, s.skill_uri, count(DISTINCT s.posting_id) AS k
    FROM posting_skills s JOIN _processed pp ON pp.posting_id = s.posting_id AND pp.run_id = s.run_id
    WHERE pp.occupation_uri IS NOT NULL AND pp.country IS NOT NULL
    GROUP BY ALL
), rel AS (
    SELECT occupation_uri, skill_uri, min(relation) AS relation FROM esco_occupation_skills GROUP BY ALL
)
SELECT 'occupation_country', k.occupation_uri, k.country, NULL, k.skill_uri, k.k / n.n, n.n, 'postings',
       rel.relation
FROM k JOIN n USING (occupation_uri, country)
LEFT JOIN rel USING (occupation_uri, skill_uri);

-- name: profile_cluster
-- Only when cluster_members exists. Clusters have no occupation, so no ESCO relation; -1 is HDBSCAN's noise.
INSERT INTO skill_profiles
WITH pc AS (
    SELECT pp.posting_id, pp.run_id, CAST(m.cluster_id AS VARCHAR) AS cluster_id
    FROM _processed pp JOIN cluster_members m ON m.title_id = pp.title_id
    WHERE CAST(m.cluster_id AS VARCHAR) <> '-1'
), n AS (
    SELECT cluster_id, count(*) AS n FROM pc GROUP BY ALL
), k AS (
    SELECT pc.cluster_id, s.skill_uri, count(DISTINCT s.posting_id) AS k
    FROM posting_skills s JOIN pc ON pc.posting_id = s.posting_id AND pc.run_id = s.run_id
    GROUP BY ALL
)
SELECT 'cluster', NULL, NULL, k.cluster_id, k.skill_uri, k.k / n.n, n.n, 'postings', NULL
FROM k JOIN n USING (cluster_id);

-- name: profile_esco
-- ESCO's own skills of every occupation (and occupation x country) that has counted postings, so gaps
-- show both ways; the country rows repeat the occupation's, so one country's profile is complete alone.
INSERT INTO skill_profiles
WITH scopes AS (
    SELECT 'occupation' AS scope, occupation_uri, NULL AS country, count(*) AS n
    FROM _processed WHERE occupation_uri IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'occupation_country', occupation_uri, country, count(*)
    FROM _processed WHERE occupation_uri IS NOT NULL AND country IS NOT NULL GROUP BY ALL
)
SELECT sc.scope, r.occupation_uri, sc.country, NULL, r.skill_uri, NULL, sc.n, 'esco', min(r.relation)
FROM esco_occupation_skills r JOIN scopes sc USING (occupation_uri)
GROUP BY sc.scope, r.occupation_uri, sc.country, r.skill_uri, sc.n;

-- name: profile_model
-- The model's skills of each occupation title; repeated per country like ESCO's rows.
INSERT INTO skill_profiles
WITH rel AS (
    SELECT occupation_uri, skill_uri, min(relation) AS relation FROM esco_occupation_skills GROUP BY ALL
), scopes AS (
    SELECT DISTINCT 'occupation' AS scope, occupation_uri, NULL AS country
    FROM _processed WHERE occupation_uri IS NOT NULL
    UNION ALL
    SELECT DISTINCT 'occupation_country', occupation_uri, country
    FROM _processed WHERE occupation_uri IS NOT NULL AND country IS NOT NULL
)
SELECT sc.scope, m.occupation_uri, sc.country, NULL, m.skill_uri, m.weight, NULL, 'model', rel.relation
FROM _model_rank m JOIN scopes sc USING (occupation_uri)
LEFT JOIN rel USING (occupation_uri, skill_uri);

-- name: profile_counts
SELECT scope, source, count(*) AS n_rows, count(DISTINCT coalesce(occupation_uri, cluster_id)) AS n_scopes
FROM skill_profiles GROUP BY ALL ORDER BY scope, source;

-- name: posting_skills_rows
-- A run's skills with their English (else any) preferred label.
WITH lab AS (
    SELECT concept_uri, coalesce(max(label) FILTER (WHERE lang = 'en'), max(label)) AS skill
    FROM esco_labels WHERE concept_type = 'skill' AND kind = 'preferred' GROUP BY ALL
)
SELECT s.posting_id, s.run_id, s.skill_uri, lab.skill, s.score, s.method, s.evidence, s."start", s."end"
FROM posting_skills s LEFT JOIN lab ON lab.concept_uri = s.skill_uri
WHERE s.run_id = ? AND s.score >= ?
ORDER BY s.posting_id, s.score DESC, s.skill_uri;

-- name: skill_profile_rows
-- One row per skill of an occupation's profile (over all countries when $country is NULL, else that
-- country's): share of postings asking for it, its ESCO relation and the model's score.
WITH lab AS (
    SELECT concept_uri, coalesce(max(label) FILTER (WHERE lang = 'en'), max(label)) AS skill
    FROM esco_labels WHERE concept_type = 'skill' AND kind = 'preferred' GROUP BY ALL
), sel AS (
    SELECT * FROM skill_profiles
    WHERE occupation_uri = $occ AND cluster_id IS NULL AND country IS NOT DISTINCT FROM $country
)
SELECT r.skill_uri, lab.skill,
       max(r.weight) FILTER (WHERE r.source = 'postings') AS posting_share,
       max(r.n_postings) FILTER (WHERE r.source = 'postings') AS n_postings,
       max(r.relation) AS esco_relation,
       max(r.weight) FILTER (WHERE r.source = 'model') AS model_score,
       string_agg(DISTINCT r.source, ',' ORDER BY r.source) AS sources
FROM sel r LEFT JOIN lab ON lab.concept_uri = r.skill_uri
GROUP BY r.skill_uri, lab.skill
ORDER BY posting_share DESC NULLS LAST, esco_relation NULLS LAST, model_score DESC NULLS LAST, lab.skill;
