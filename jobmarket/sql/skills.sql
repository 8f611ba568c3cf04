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
SELECT run_id FROM current_runs ORDER BY finished DESC, run_id LIMIT 1;

-- name: run_exists
SELECT count(*) FROM runs WHERE run_id = ? AND command = 'normalize';

-- name: run_postings
-- With each posting's occupation group (ISCO-08 sub-major group of its matched occupation): the
-- boilerplate rule counts in how many unrelated groups a sentence recurs.
SELECT p.posting_id, p.description, p.language, left(o.isco_code, 2) AS isco_2
FROM postings p
LEFT JOIN assignments a ON a.posting_id = p.posting_id AND a.run_id = p.run_id AND a.status = 'matched'
LEFT JOIN esco_occupations o ON o.occupation_uri = a.occupation_uri
WHERE p.run_id = ? AND nullif(trim(p.description), '') IS NOT NULL
ORDER BY p.source_row;

-- name: delete_posting_skills
DELETE FROM posting_skills WHERE run_id = ?;

-- name: insert_posting_skills
INSERT INTO posting_skills (posting_id, run_id, skill_uri, score, method, evidence, "start", "end", sentence,
                            section, boilerplate)
SELECT posting_id, ?, skill_uri, score, method, evidence, "start", "end", sentence, section, boilerplate
FROM _new_skills;

-- name: profile_occupations
-- Occupations whose matched postings the profiles will count: those of current runs already processed,
-- and this run.
SELECT DISTINCT a.occupation_uri,
       coalesce(max(l.label) FILTER (WHERE l.lang = 'en'), max(l.label)) AS label
FROM assignments a
JOIN esco_labels l ON l.concept_uri = a.occupation_uri AND l.concept_type = 'occupation' AND l.kind = 'preferred'
WHERE a.status = 'matched' AND a.run_id IN (SELECT run_id FROM current_runs)
  AND (a.run_id = ? OR a.run_id IN (SELECT json_extract_string(params, '$.source_run') FROM runs
                                    WHERE command = 'skills' AND status = 'finished'))
GROUP BY a.occupation_uri
ORDER BY a.occupation_uri;

-- name: processed_postings
-- Current postings with a description from every run whose skills were extracted, with their matched
-- occupation: superseded runs keep their posting_skills as history but are not counted.
CREATE OR REPLACE TEMP TABLE _processed AS
SELECT p.posting_id, p.run_id, p.country, p.title_id, a.occupation_uri
FROM current_postings p
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
    WHERE pp.occupation_uri IS NOT NULL AND NOT coalesce(s.boilerplate, false)
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
    WHERE pp.occupation_uri IS NOT NULL AND pp.country IS NOT NULL AND NOT coalesce(s.boilerplate, false)
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
    WHERE NOT coalesce(s.boilerplate, false)
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
SELECT s.posting_id, s.run_id, s.skill_uri, lab.skill, s.score, s.method, s.evidence, s."start", s."end",
       s.sentence, s.section, s.boilerplate
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

-- name: skill_groups_build
-- Each skill's level-0 pillar and level-1 group, walking ESCO's broader relations up (a skill may sit
-- under several groups: the lowest code wins), with its skill type and reuse level.
DELETE FROM skill_groups;
INSERT INTO skill_groups
WITH RECURSIVE up(skill_uri, uri, depth) AS (
    SELECT b.concept_uri, b.broader_uri, 1
    FROM esco_skill_broader b JOIN esco_skills k ON k.skill_uri = b.concept_uri
    UNION
    SELECT up.skill_uri, b.broader_uri, up.depth + 1
    FROM up JOIN esco_skill_broader b ON b.concept_uri = up.uri
    WHERE up.depth < 16
), g AS (
    SELECT DISTINCT up.skill_uri, sg.level, sg.code, sg.label
    FROM up JOIN esco_skill_groups sg ON sg.group_uri = up.uri
    WHERE sg.level <= 1
), one AS (
    SELECT skill_uri,
           arg_min(label, coalesce(code, label)) FILTER (WHERE level = 0) AS pillar,
           arg_min(code, coalesce(code, label)) FILTER (WHERE level = 1) AS group_code,
           arg_min(label, coalesce(code, label)) FILTER (WHERE level = 1) AS group_label
    FROM g GROUP BY skill_uri
)
SELECT k.skill_uri, one.pillar, one.group_code, one.group_label, k.skill_type, k.reuse_level
FROM esco_skills k LEFT JOIN one USING (skill_uri);

-- name: top_skills
-- The most asked skills of a normalize run's postings (boilerplate left out unless $all), each with its
-- most frequent source sentences.
WITH lab AS (
    SELECT concept_uri, coalesce(max(label) FILTER (WHERE lang = 'en'), max(label)) AS skill
    FROM esco_labels WHERE concept_type = 'skill' AND kind = 'preferred' GROUP BY ALL
), s AS (
    SELECT * FROM posting_skills WHERE run_id = $run AND ($all OR NOT coalesce(boilerplate, false))
), top AS (
    SELECT skill_uri, count(DISTINCT posting_id) AS n_postings FROM s GROUP BY ALL
    ORDER BY n_postings DESC, skill_uri LIMIT $k
), sent AS (
    SELECT s.skill_uri, s.sentence, s.section, count(DISTINCT s.posting_id) AS n,
           row_number() OVER (PARTITION BY s.skill_uri ORDER BY count(DISTINCT s.posting_id) DESC,
                              s.sentence) AS r
    FROM s JOIN top USING (skill_uri) GROUP BY ALL
)
SELECT top.skill_uri, lab.skill, top.n_postings,
       list(struct_pack(sentence := sent.sentence, section := sent.section, n := sent.n) ORDER BY sent.r)
           FILTER (WHERE sent.r <= $per_skill) AS sentences,
       list(DISTINCT sent.section) AS sections
FROM top LEFT JOIN lab ON lab.concept_uri = top.skill_uri LEFT JOIN sent USING (skill_uri)
GROUP BY ALL ORDER BY top.n_postings DESC, top.skill_uri;

-- name: gap_rows
-- An occupation's demand (its postings profile in $country, NULL: all countries; boilerplate already left
-- out of profiles) against the supply table _skill_supply (skill_uri, weight), with each skill's status
-- against ESCO's own profile, its pillar, group, type and reuse level; $levels (empty: all) keeps those
-- reuse levels and skills ESCO gives none.
WITH lab AS (
    SELECT concept_uri, coalesce(max(label) FILTER (WHERE lang = 'en'), max(label)) AS skill
    FROM esco_labels WHERE concept_type = 'skill' AND kind = 'preferred' GROUP BY ALL
), demand AS (
    SELECT skill_uri, max(weight) AS demand, max(round(weight * n_postings)) AS n_asking
    FROM skill_profiles
    WHERE source = 'postings' AND occupation_uri = $occ AND cluster_id IS NULL
      AND country IS NOT DISTINCT FROM $country
    GROUP BY ALL
), rel AS (
    SELECT skill_uri, min(relation) AS relation FROM esco_occupation_skills WHERE occupation_uri = $occ
    GROUP BY ALL
), supply AS (
    SELECT skill_uri, max(weight) AS weight FROM _skill_supply GROUP BY ALL
), j AS (
    SELECT coalesce(d.skill_uri, s.skill_uri) AS skill_uri, coalesce(d.demand, 0) AS demand,
           coalesce(s.weight, 0) AS supply, coalesce(d.n_asking, 0)::BIGINT AS n_postings,
           s.skill_uri IS NOT NULL AS in_supply
    FROM demand d FULL OUTER JOIN supply s ON s.skill_uri = d.skill_uri
)
SELECT j.skill_uri, lab.skill, j.demand, j.supply, j.demand - j.supply AS gap, j.in_supply, j.n_postings,
       rel.relation AS esco_relation,
       CASE WHEN j.demand > 0 AND rel.relation IS NULL THEN 'emerging'
            WHEN j.demand > 0 THEN 'in ESCO profile'
            WHEN rel.relation = 'essential' THEN 'essential, not asked'
            ELSE 'not asked' END AS status,
       g.pillar, g.group_code, coalesce(g.group_label, g.pillar) AS skill_group, g.skill_type, g.reuse_level
FROM j LEFT JOIN lab ON lab.concept_uri = j.skill_uri
LEFT JOIN rel ON rel.skill_uri = j.skill_uri
LEFT JOIN skill_groups g ON g.skill_uri = j.skill_uri
WHERE len($levels) = 0 OR g.reuse_level IS NULL OR list_contains($levels, g.reuse_level)
ORDER BY gap DESC, j.skill_uri;

-- name: gap_evidence
-- Example sentences for skills of an occupation's postings ($country NULL: all), most frequent first:
-- the sentence, its section and how many postings hold it; $k per skill.
SELECT s.skill_uri, s.sentence, s.section, count(DISTINCT s.posting_id) AS n_postings
FROM posting_skills s
JOIN current_postings p ON p.posting_id = s.posting_id AND p.run_id = s.run_id
JOIN assignments a ON a.posting_id = s.posting_id AND a.run_id = s.run_id AND a.status = 'matched'
WHERE a.occupation_uri = $occ AND ($country IS NULL OR p.country = $country)
  AND NOT coalesce(s.boilerplate, false) AND list_contains($skills, s.skill_uri)
GROUP BY s.skill_uri, s.sentence, s.section
QUALIFY row_number() OVER (PARTITION BY s.skill_uri ORDER BY count(DISTINCT s.posting_id) DESC,
                                                        s.sentence) <= $k
ORDER BY s.skill_uri, n_postings DESC, s.sentence;
