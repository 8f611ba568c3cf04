-- Skill tables, applied by jobmarket/skills.py before it writes. Idempotent (IF NOT EXISTS).
-- (schema.sql's DESIGN sketch of skill_profiles is this table without cluster_id/n_postings/relation.)

-- Skills found in a posting's description: one row per (posting, skill), its best evidence.
-- score is method-specific: exact 1.0, fuzzy = rapidfuzz ratio / 100, embedding = cosine.
CREATE TABLE IF NOT EXISTS posting_skills (
    posting_id VARCHAR NOT NULL,
    run_id     VARCHAR NOT NULL,     -- the normalize run whose postings were read
    skill_uri  VARCHAR NOT NULL,
    score      DOUBLE NOT NULL,
    method     VARCHAR NOT NULL,     -- exact | fuzzy | embedding
    evidence   VARCHAR,              -- the sentence, bullet or clause the skill was found in
    "start"    INTEGER,              -- char offsets of the evidence (label stages: of the matched words)
    "end"      INTEGER,              --   in postings.description, end exclusive
    -- (added by migration 004 to older stores) where the evidence stands:
    sentence   VARCHAR,              -- the whole sentence or bullet item that holds the evidence
    section    VARCHAR,              -- requirements | tasks | offer | company | apply | other
    boilerplate BOOLEAN DEFAULT false -- found only in background text: an offer/company/apply section or
                                     -- a sentence that recurs across unrelated occupations' postings;
                                     -- left out of skill profiles and gaps
);

-- Skill profiles. scope: occupation | occupation_country | cluster; source: postings | esco | model.
-- postings: weight = share of the scope's postings that ask for the skill, n_postings = scope's postings;
-- esco: ESCO's relations (weight NULL); model: cosine of occupation title (anchor) and skill (positive).
-- relation: ESCO's essential/optional relation of the occupation and skill, NULL when ESCO has none.
CREATE TABLE IF NOT EXISTS skill_profiles (
    scope          VARCHAR NOT NULL,
    occupation_uri VARCHAR,
    country        VARCHAR,
    cluster_id     VARCHAR,
    skill_uri      VARCHAR NOT NULL,
    weight         DOUBLE,
    n_postings     BIGINT,
    source         VARCHAR NOT NULL,
    relation       VARCHAR
);

-- ESCO's skills pillar (esco/load.py fills them from skillsHierarchy_XX.csv and
-- broaderRelationsSkillPillar.csv): the groups of levels 0-3 (S/K/L/T and their sub-groups: "S1
-- communication, collaboration and creativity", ISCED-F fields for knowledge) and every broader relation.
CREATE TABLE IF NOT EXISTS esco_skill_groups (
    group_uri  VARCHAR NOT NULL,
    level      INTEGER,              -- 0 pillar (skills, knowledge, language, transversal) .. 3
    code       VARCHAR,              -- S1.2, 04, L1, T2 ...
    label      VARCHAR,              -- English preferred term
    parent_uri VARCHAR,
    version    VARCHAR
);
CREATE TABLE IF NOT EXISTS esco_skill_broader (
    concept_uri VARCHAR NOT NULL,    -- a skill or skill group
    broader_uri VARCHAR NOT NULL,
    version     VARCHAR
);

-- Each skill's place in the pillar, rebuilt by every skills run (skills.sql skill_groups_build): its
-- level-0 pillar and level-1 group (the lowest code where ESCO files it under several), with its
-- skill type (knowledge | skill/competence) and reuse level (transversal | cross-sector |
-- sector-specific | occupation-specific).
CREATE TABLE IF NOT EXISTS skill_groups (
    skill_uri   VARCHAR NOT NULL,
    pillar      VARCHAR,
    group_code  VARCHAR,
    group_label VARCHAR,
    skill_type  VARCHAR,
    reuse_level VARCHAR
);
