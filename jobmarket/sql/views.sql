-- Views over the store, created on every connection by jobmarket/sqlobjects.py (stored in the file on
-- read-write connections, TEMP on read-only ones). Labels come in the language of the `label_lang`
-- variable (`SET VARIABLE label_lang = 'de';`), falling back to English, then to any language.
-- A section starting with `-- requires: t1, t2` is created only when those tables exist.

-- name: label_lang
-- The language views show labels in.
CREATE OR REPLACE MACRO label_lang() AS coalesce(getvariable('label_lang'), 'en');

-- name: version_key
-- ESCO versions as sortable lists: v1.10 > v1.2.
CREATE OR REPLACE MACRO version_key(v) AS
    list_transform(string_split(ltrim(coalesce(v, '0'), 'v'), '.'), lambda x: coalesce(try_cast(x AS INTEGER), 0));

-- name: esco_preferred_labels
-- One label per ESCO concept (occupation, skill, ISCO group) in label_lang().
CREATE OR REPLACE VIEW esco_preferred_labels AS
SELECT concept_uri, concept_type,
       coalesce(max(label) FILTER (WHERE lang = label_lang()),
                max(label) FILTER (WHERE lang = 'en'),
                min(label)) AS label,
       CASE WHEN count(*) FILTER (WHERE lang = label_lang()) > 0 THEN label_lang()
            WHEN count(*) FILTER (WHERE lang = 'en') > 0 THEN 'en'
            ELSE min(lang) END AS label_lang
FROM esco_labels
WHERE kind = 'preferred'
GROUP BY concept_uri, concept_type;

-- name: isco_levels
-- ISCO-08 groups with their labels and their parent chain.
CREATE OR REPLACE VIEW isco_levels AS
SELECT g.isco_code, g.level, g.parent_code, l.label
FROM isco_groups g
LEFT JOIN esco_preferred_labels l
       ON l.concept_uri = coalesce(g.concept_uri, 'http://data.europa.eu/esco/isco/C' || g.isco_code);

-- name: occupation_isco
-- Each ESCO occupation with its label and its ISCO path from major group (1 digit) to unit group (4).
CREATE OR REPLACE VIEW occupation_isco AS
SELECT o.occupation_uri, l.label AS occupation, l.label_lang, o.esco_code, o.isco_code,
       left(o.isco_code, 1) AS isco_1, g1.label AS isco_1_label,
       left(o.isco_code, 2) AS isco_2, g2.label AS isco_2_label,
       left(o.isco_code, 3) AS isco_3, g3.label AS isco_3_label,
       g4.label AS isco_4_label
FROM esco_occupations o
LEFT JOIN esco_preferred_labels l ON l.concept_uri = o.occupation_uri
LEFT JOIN isco_levels g1 ON g1.isco_code = left(o.isco_code, 1)
LEFT JOIN isco_levels g2 ON g2.isco_code = left(o.isco_code, 2)
LEFT JOIN isco_levels g3 ON g3.isco_code = left(o.isco_code, 3)
LEFT JOIN isco_levels g4 ON g4.isco_code = o.isco_code;

-- name: current_runs
-- What analysts count: every finished normalize run that no later run superseded. A run over a path
-- supersedes the current runs of that path (and of identical content elsewhere) unless it was written
-- with --keep-both; superseded runs stay in the store as history (`jobmarket runs list`).
CREATE OR REPLACE VIEW current_runs AS
SELECT run_id, source_file, source_path, source_sha256, model_id, model_dim, esco_versions, started, finished
FROM runs
WHERE status = 'finished' AND command = 'normalize' AND superseded_by IS NULL;

-- name: current_postings
-- The postings of the current runs: every view, macro, example, skill profile, cluster size and
-- dashboard count starts here, so all of them count the same rows.
CREATE OR REPLACE VIEW current_postings AS
SELECT p.* FROM postings p WHERE p.run_id IN (SELECT run_id FROM current_runs);

-- name: posting_occupations
-- One row per posting of the current runs: the posting, its assignment, the occupation in label_lang()
-- and its ISCO path. `status` is matched | abstained | rejected.
CREATE OR REPLACE VIEW posting_occupations AS
SELECT p.posting_id, p.run_id, p.source_row, p.external_id, p.country, p.language, p.date,
       p.title_raw, p.title_clean, p.title_id, p.seniority, p.contract,
       a.status, a.reason, a.method, a.score, a.margin,
       a.occupation_uri, o.occupation, o.esco_code, a.isco_code,
       o.isco_1, o.isco_1_label, o.isco_2, o.isco_2_label, o.isco_3, o.isco_3_label, o.isco_4_label
FROM current_postings p
JOIN assignments a ON a.posting_id = p.posting_id
LEFT JOIN occupation_isco o ON o.occupation_uri = a.occupation_uri;

-- name: posting_candidates
-- The ranked alternatives of each posting of the current runs, with labels.
CREATE OR REPLACE VIEW posting_candidates AS
SELECT c.posting_id, c.run_id, c.rank, c.occupation_uri, o.occupation, o.isco_code, c.score
FROM assignment_candidates c
LEFT JOIN occupation_isco o ON o.occupation_uri = c.occupation_uri
WHERE c.run_id IN (SELECT run_id FROM current_runs);

-- name: occupation_skill_labels
-- ESCO's essential and optional skills of each occupation, from the newest ESCO version that relates
-- them, with labels in label_lang().
CREATE OR REPLACE VIEW occupation_skill_labels AS
SELECT r.occupation_uri, o.occupation, r.skill_uri, s.label AS skill, r.relation,
       coalesce(r.skill_type, k.skill_type) AS skill_type, r.version
FROM esco_occupation_skills r
LEFT JOIN occupation_isco o ON o.occupation_uri = r.occupation_uri
LEFT JOIN esco_preferred_labels s ON s.concept_uri = r.skill_uri
LEFT JOIN esco_skills k ON k.skill_uri = r.skill_uri
QUALIFY version_key(r.version) = max(version_key(r.version)) OVER (PARTITION BY r.occupation_uri);

-- name: skill_profile_labels
-- requires: skill_profiles
-- Skill profiles (written by the skills module) with occupation and skill labels.
CREATE OR REPLACE VIEW skill_profile_labels AS
SELECT sp.scope, sp.occupation_uri, o.occupation, sp.country, sp.cluster_id, sp.skill_uri,
       s.label AS skill, sp.weight, sp.n_postings, sp.source, sp.relation
FROM skill_profiles sp
LEFT JOIN occupation_isco o ON o.occupation_uri = sp.occupation_uri
LEFT JOIN esco_preferred_labels s ON s.concept_uri = sp.skill_uri;

-- name: posting_skill_labels
-- requires: posting_skills
-- Skills found in postings (written by the skills module) with their labels and the posting's country
-- and occupation, for the current runs.
CREATE OR REPLACE VIEW posting_skill_labels AS
SELECT ps.posting_id, ps.run_id, po.country, po.language, po.occupation_uri, po.occupation, po.status,
       ps.skill_uri, s.label AS skill, ps.score, ps.method, ps.evidence
FROM posting_skills ps
JOIN posting_occupations po ON po.posting_id = ps.posting_id
LEFT JOIN esco_preferred_labels s ON s.concept_uri = ps.skill_uri;

-- name: cluster_titles_by_country
-- requires: cluster_members, clusters
-- The cross-country view: per cluster and country, the titles used there in the current postings, most
-- frequent first.
CREATE OR REPLACE VIEW cluster_titles_by_country AS
SELECT m.cluster_id, c.name AS cluster_name, p.country, t.title_clean AS title, t.language,
       count(*) AS n_postings,
       count(*) / sum(count(*)) OVER (PARTITION BY m.cluster_id, p.country) AS share_in_country,
       row_number() OVER (PARTITION BY m.cluster_id, p.country ORDER BY count(*) DESC, t.title_clean) AS rank
FROM cluster_members m
JOIN titles t USING (title_id)
JOIN current_postings p USING (title_id)
LEFT JOIN clusters c ON c.cluster_id = m.cluster_id
WHERE m.cluster_id IS NOT NULL
GROUP BY m.cluster_id, c.name, p.country, t.title_clean, t.language;

-- name: occupation_titles_by_country
-- The same per ESCO occupation, from the matched current postings (no clustering needed).
CREATE OR REPLACE VIEW occupation_titles_by_country AS
SELECT a.occupation_uri, any_value(a.label) AS occupation_label, p.country, p.title_clean AS title,
       p.language, count(*) AS n_postings,
       count(*) / sum(count(*)) OVER (PARTITION BY a.occupation_uri, p.country) AS share_in_country,
       row_number() OVER (PARTITION BY a.occupation_uri, p.country ORDER BY count(*) DESC, p.title_clean) AS rank
FROM assignments a
JOIN current_postings p USING (posting_id)
WHERE a.status = 'matched' AND p.title_clean IS NOT NULL
GROUP BY a.occupation_uri, p.country, p.title_clean, p.language;
