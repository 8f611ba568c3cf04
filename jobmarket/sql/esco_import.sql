-- ESCO import, loaded by jobmarket/esco.py. Sections start with "-- name: NAME"; a section may hold
-- several statements unless it takes parameters ($name), in which case it holds exactly one.
-- Everything runs inside the caller's single transaction; staging tables are TEMP and dropped at the end.

-- name: setup
-- Version order key: 'v1.10' > 'v1.2' > 'v1.1.1' > anything unparsable ('unknown' sorts first).
CREATE OR REPLACE TEMP MACRO esco_vkey(v) AS
    CASE WHEN regexp_full_match(coalesce(v, ''), 'v?[0-9]+(\.[0-9]+)*')
         THEN list_transform(string_split(ltrim(v, 'v'), '.'), lambda x: CAST(x AS INTEGER))
         ELSE []::INTEGER[] END;
-- Split a newline-separated ESCO list field (altLabels, hiddenLabels) into trimmed, non-empty labels.
CREATE OR REPLACE TEMP MACRO esco_split(s) AS
    list_filter(list_transform(string_split(coalesce(s, ''), chr(10)),
                               lambda x: trim(x, ' ' || chr(9) || chr(13))),
                lambda x: x <> '');
CREATE OR REPLACE TEMP TABLE esco_batch_sources (
    source_file VARCHAR, version VARCHAR, lang VARCHAR, kind VARCHAR, n_rows BIGINT);
CREATE OR REPLACE TEMP TABLE esco_stg_occ (
    uri VARCHAR, isco VARCHAR, code VARCHAR, pref VARCHAR, alt VARCHAR, hidden VARCHAR,
    version VARCHAR, lang VARCHAR);
CREATE OR REPLACE TEMP TABLE esco_stg_skill (
    uri VARCHAR, skill_type VARCHAR, reuse_level VARCHAR, pref VARCHAR, alt VARCHAR, hidden VARCHAR,
    version VARCHAR, lang VARCHAR);
CREATE OR REPLACE TEMP TABLE esco_stg_isco (
    uri VARCHAR, code VARCHAR, pref VARCHAR, alt VARCHAR, version VARCHAR, lang VARCHAR);
CREATE OR REPLACE TEMP TABLE esco_stg_rel (
    occupation_uri VARCHAR, skill_uri VARCHAR, relation VARCHAR, skill_type VARCHAR, version VARCHAR);
CREATE OR REPLACE TEMP TABLE esco_stg_lbl (
    uri VARCHAR, position INTEGER, label VARCHAR, version VARCHAR, lang VARCHAR);
CREATE OR REPLACE TEMP TABLE esco_stg_sgroup (
    uri VARCHAR, level INTEGER, code VARCHAR, label VARCHAR, parent_uri VARCHAR, version VARCHAR, lang VARCHAR);
CREATE OR REPLACE TEMP TABLE esco_stg_sbroader (
    concept_uri VARCHAR, broader_uri VARCHAR, version VARCHAR);

-- name: read_raw
-- Every column as text: ISCO codes keep their leading zeros; quoted fields may span lines.
CREATE OR REPLACE TEMP TABLE esco_raw AS
SELECT * FROM read_csv($path, header = true, all_varchar = true, delim = $delim,
                       quote = '"', escape = '"');

-- name: read_raw_padded
-- skillsHierarchy_XX.csv leaves trailing empty columns off some rows: pad them (serial reader only).
CREATE OR REPLACE TEMP TABLE esco_raw AS
SELECT * FROM read_csv($path, header = true, all_varchar = true, delim = $delim,
                       quote = '"', escape = '"', null_padding = true, parallel = false);

-- name: stage_occupations
INSERT INTO esco_stg_occ
SELECT trim(conceptUri), nullif(trim(iscoGroup), ''), nullif(trim(code), ''),
       preferredLabel, altLabels, hiddenLabels, $version, $lang
FROM esco_raw WHERE nullif(trim(conceptUri), '') IS NOT NULL;

-- name: stage_skills
INSERT INTO esco_stg_skill
SELECT trim(conceptUri), nullif(trim(skillType), ''), nullif(trim(reuseLevel), ''),
       preferredLabel, altLabels, hiddenLabels, $version, $lang
FROM esco_raw WHERE nullif(trim(conceptUri), '') IS NOT NULL;

-- name: stage_isco_groups
INSERT INTO esco_stg_isco
SELECT trim(conceptUri), trim(code), preferredLabel, altLabels, $version, $lang
FROM esco_raw WHERE regexp_full_match(trim(coalesce(code, '')), '[0-9]{1,4}');

-- name: stage_relations
INSERT INTO esco_stg_rel
SELECT trim(occupationUri), trim(skillUri), lower(trim(relationType)), nullif(trim(skillType), ''), $version
FROM esco_raw WHERE nullif(trim(occupationUri), '') IS NOT NULL AND nullif(trim(skillUri), '') IS NOT NULL;

-- name: stage_labels
INSERT INTO esco_stg_lbl
SELECT trim(conceptUri), TRY_CAST(trim(position) AS INTEGER), trim(label), $version, $lang
FROM esco_raw WHERE nullif(trim(conceptUri), '') IS NOT NULL AND nullif(trim(label), '') IS NOT NULL;

-- name: stage_skill_hierarchy
-- skillsHierarchy_XX.csv: one row per group, its levels 0-3 side by side; the deepest filled level is the
-- row's group, the level above its parent.
INSERT INTO esco_stg_sgroup
SELECT DISTINCT uri, level, code, label, parent_uri, $version, $lang FROM (
    SELECT CASE WHEN nullif(trim("Level 3 URI"), '') IS NOT NULL THEN 3
                WHEN nullif(trim("Level 2 URI"), '') IS NOT NULL THEN 2
                WHEN nullif(trim("Level 1 URI"), '') IS NOT NULL THEN 1 ELSE 0 END AS level,
           [trim("Level 0 URI"), trim("Level 1 URI"), trim("Level 2 URI"), trim("Level 3 URI")] AS uris,
           [trim("Level 0 preferred term"), trim("Level 1 preferred term"), trim("Level 2 preferred term"),
            trim("Level 3 preferred term")] AS labels,
           [trim("Level 0 code"), trim("Level 1 code"), trim("Level 2 code"), trim("Level 3 code")] AS codes
    FROM esco_raw WHERE nullif(trim("Level 0 URI"), '') IS NOT NULL
) t, LATERAL (SELECT uris[level + 1] AS uri, nullif(codes[level + 1], '') AS code, labels[level + 1] AS label,
                     CASE WHEN level > 0 THEN uris[level] END AS parent_uri);

-- name: stage_skill_broader
INSERT INTO esco_stg_sbroader
SELECT trim(conceptUri), trim(broaderUri), $version
FROM esco_raw WHERE nullif(trim(conceptUri), '') IS NOT NULL AND nullif(trim(broaderUri), '') IS NOT NULL;

-- name: add_source
INSERT INTO esco_batch_sources VALUES ($source_file, $version, $lang, $kind, $n_rows);

-- name: merge
-- Sources: a re-read file replaces its earlier record.
DELETE FROM esco_sources WHERE source_file IN (SELECT source_file FROM esco_batch_sources);
INSERT INTO esco_sources (source_file, version, lang, kind, n_rows)
SELECT source_file, version, lang, kind, n_rows FROM esco_batch_sources;

-- Occupations and skills: one row per URI, from the newest version seen (in this batch or before).
INSERT INTO esco_occupations
SELECT uri, arg_max(isco, esco_vkey(version)), arg_max(code, esco_vkey(version)),
       arg_max(version, esco_vkey(version))
FROM esco_stg_occ GROUP BY uri
ON CONFLICT (occupation_uri) DO UPDATE
    SET isco_code = excluded.isco_code, esco_code = excluded.esco_code, version = excluded.version
    WHERE esco_vkey(excluded.version) >= esco_vkey(esco_occupations.version);

INSERT INTO esco_skills
SELECT uri, arg_max(skill_type, esco_vkey(version)), arg_max(reuse_level, esco_vkey(version)),
       arg_max(version, esco_vkey(version))
FROM esco_stg_skill GROUP BY uri
ON CONFLICT (skill_uri) DO UPDATE
    SET skill_type = excluded.skill_type, reuse_level = excluded.reuse_level, version = excluded.version
    WHERE esco_vkey(excluded.version) >= esco_vkey(esco_skills.version);

-- ISCO groups: from ISCOGroups files first; codes seen only in label TSV URIs (/isco/C2654) or as
-- occupations' unit groups (and their 1-3 digit prefixes) are added too, so the hierarchy is complete
-- even when no ISCOGroups file was loaded. The URI pattern is ESCO's own.
INSERT INTO isco_groups
SELECT code, arg_min(uri, prio), length(code),
       CASE WHEN length(code) > 1 THEN left(code, length(code) - 1) END
FROM (
    SELECT code, uri, 0 AS prio FROM esco_stg_isco
    UNION ALL
    SELECT regexp_extract(uri, '/isco/C([0-9]{1,4})$', 1), uri, 1 FROM esco_stg_lbl
    WHERE regexp_matches(uri, '/isco/C[0-9]{1,4}$')
    UNION ALL
    SELECT left(isco, n), 'http://data.europa.eu/esco/isco/C' || left(isco, n), 2
    FROM esco_stg_occ CROSS JOIN range(1, 5) AS r(n) WHERE regexp_full_match(isco, '[0-9]{4}')
)
GROUP BY code
ON CONFLICT (isco_code) DO UPDATE
    SET concept_uri = excluded.concept_uri, level = excluded.level, parent_code = excluded.parent_code;

-- Relations are kept per version (relation types change between versions, so they are not merged):
-- a batch replaces every relation of the versions it brings. Language copies (v1.2 names them
-- occupationSkillRelations_XX.csv) are identical, hence DISTINCT.
DELETE FROM esco_occupation_skills
WHERE version IN (SELECT version FROM esco_batch_sources WHERE kind = 'relations');
INSERT INTO esco_occupation_skills
SELECT DISTINCT occupation_uri, skill_uri, relation, skill_type, version FROM esco_stg_rel;

-- The skills pillar: groups and broader relations of the versions this batch brings replace theirs.
DELETE FROM esco_skill_groups
WHERE version IN (SELECT version FROM esco_batch_sources WHERE kind = 'skill_hierarchy');
INSERT INTO esco_skill_groups
SELECT uri, arg_min(level, level), arg_min(code, level), arg_min(label, level), arg_min(parent_uri, level),
       version
FROM esco_stg_sgroup GROUP BY uri, version;
DELETE FROM esco_skill_broader
WHERE version IN (SELECT version FROM esco_batch_sources WHERE kind = 'skill_broader');
INSERT INTO esco_skill_broader SELECT DISTINCT concept_uri, broader_uri, version FROM esco_stg_sbroader;

-- Labels of this batch, each (uri, type, lang, label, kind) once, at the newest version that has it.
CREATE OR REPLACE TEMP TABLE esco_new_labels AS
SELECT concept_uri, concept_type, lang, label, kind, arg_max(version, esco_vkey(version)) AS version
FROM (
    SELECT uri AS concept_uri, 'occupation' AS concept_type, lang, trim(pref) AS label,
           'preferred' AS kind, version FROM esco_stg_occ
    UNION ALL SELECT uri, 'occupation', lang, unnest(esco_split(alt)), 'alternative', version
        FROM esco_stg_occ
    UNION ALL SELECT uri, 'occupation', lang, unnest(esco_split(hidden)), 'hidden', version
        FROM esco_stg_occ
    UNION ALL SELECT uri, 'skill', lang, trim(pref), 'preferred', version FROM esco_stg_skill
    UNION ALL SELECT uri, 'skill', lang, unnest(esco_split(alt)), 'alternative', version
        FROM esco_stg_skill
    UNION ALL SELECT uri, 'skill', lang, unnest(esco_split(hidden)), 'hidden', version
        FROM esco_stg_skill
    UNION ALL SELECT uri, 'isco_group', lang, trim(pref), 'preferred', version FROM esco_stg_isco
    UNION ALL SELECT uri, 'isco_group', lang, unnest(esco_split(alt)), 'alternative', version
        FROM esco_stg_isco
    -- MELO-style TSVs: position 0 is the preferred label, later positions alternatives.
    UNION ALL SELECT uri, CASE WHEN uri LIKE '%/isco/%' THEN 'isco_group' ELSE 'occupation' END, lang, label,
           CASE WHEN position = 0 THEN 'preferred' ELSE 'alternative' END, version FROM esco_stg_lbl
)
WHERE coalesce(label, '') <> ''
GROUP BY ALL;

-- Replace semantics: first drop what earlier imports of the same (version, lang, concept type) left,
-- so labels removed from a re-read file disappear ...
DELETE FROM esco_labels e USING (
    SELECT DISTINCT version, lang, t.concept_type
    FROM esco_batch_sources b, (
        SELECT 'occupations' AS kind, 'occupation' AS concept_type
        UNION ALL SELECT 'skills', 'skill'
        UNION ALL SELECT 'isco_groups', 'isco_group'
        UNION ALL SELECT 'labels', 'occupation'
        UNION ALL SELECT 'labels', 'isco_group'
    ) t
    WHERE b.kind = t.kind
) s
WHERE e.version = s.version AND e.lang = s.lang AND e.concept_type = s.concept_type;
-- ... then keep each identical label once, at its newest version: older copies make way for newer ones,
DELETE FROM esco_labels e USING esco_new_labels n
WHERE e.concept_uri = n.concept_uri AND e.concept_type = n.concept_type AND e.lang = n.lang
  AND e.label = n.label AND e.kind = n.kind AND esco_vkey(n.version) >= esco_vkey(e.version);
-- ... and a label already stored from a newer version is not added again for an older one.
INSERT INTO esco_labels
SELECT n.concept_uri, n.concept_type, n.lang, n.label, n.kind, n.version FROM esco_new_labels n
WHERE NOT EXISTS (
    SELECT 1 FROM esco_labels e
    WHERE e.concept_uri = n.concept_uri AND e.concept_type = n.concept_type AND e.lang = n.lang
      AND e.label = n.label AND e.kind = n.kind AND esco_vkey(e.version) > esco_vkey(n.version));

-- One preferred label per (concept, language), the newest: a preferred label that a newer version
-- replaced (19 English occupations between v1.1.1 and v1.2) becomes an alternative label of its
-- version, since people still use the old title; it is dropped if that alternative already exists.
CREATE OR REPLACE TEMP TABLE esco_old_preferred AS
SELECT o.concept_uri, o.concept_type, o.lang, o.label, o.version
FROM esco_labels o
WHERE o.kind = 'preferred' AND EXISTS (
    SELECT 1 FROM esco_labels p
    WHERE p.kind = 'preferred' AND p.concept_uri = o.concept_uri AND p.concept_type = o.concept_type
      AND p.lang = o.lang AND esco_vkey(p.version) > esco_vkey(o.version));
DELETE FROM esco_labels e USING esco_old_preferred o
WHERE e.kind = 'preferred' AND e.concept_uri = o.concept_uri AND e.concept_type = o.concept_type
  AND e.lang = o.lang AND e.label = o.label AND e.version = o.version;
INSERT INTO esco_labels
SELECT DISTINCT o.concept_uri, o.concept_type, o.lang, o.label, 'alternative', o.version
FROM esco_old_preferred o
WHERE NOT EXISTS (
    SELECT 1 FROM esco_labels e
    WHERE e.kind = 'alternative' AND e.concept_uri = o.concept_uri AND e.concept_type = o.concept_type
      AND e.lang = o.lang AND e.label = o.label);

-- name: teardown
DROP TABLE IF EXISTS esco_raw;
DROP TABLE IF EXISTS esco_new_labels;
DROP TABLE IF EXISTS esco_old_preferred;
DROP TABLE IF EXISTS esco_batch_sources;
DROP TABLE IF EXISTS esco_stg_occ;
DROP TABLE IF EXISTS esco_stg_skill;
DROP TABLE IF EXISTS esco_stg_isco;
DROP TABLE IF EXISTS esco_stg_rel;
DROP TABLE IF EXISTS esco_stg_lbl;
DROP TABLE IF EXISTS esco_stg_sgroup;
DROP TABLE IF EXISTS esco_stg_sbroader;
DROP MACRO IF EXISTS esco_split;
DROP MACRO IF EXISTS esco_vkey;
