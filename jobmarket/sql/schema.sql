-- jobmarket store schema. Version 1. Applied by jobmarket/store.py on connect.
-- Every statement is idempotent (IF NOT EXISTS) so opening an existing store is safe.

CREATE TABLE IF NOT EXISTS schema_version (
    version   INTEGER NOT NULL,
    applied   TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- ---------------------------------------------------------------- ESCO
-- One row per file read, so every table row can say where it came from.
CREATE TABLE IF NOT EXISTS esco_sources (
    source_file  VARCHAR NOT NULL,   -- path (zip member as zip!member)
    version      VARCHAR NOT NULL,   -- e.g. v1.1.1, v1.2
    lang         VARCHAR,            -- ISO 639-1, NULL for language-free files
    kind         VARCHAR NOT NULL,   -- occupations | skills | isco_groups | relations | labels | skill_hierarchy
    n_rows       BIGINT NOT NULL,
    loaded       TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS esco_occupations (
    occupation_uri VARCHAR PRIMARY KEY,
    isco_code      VARCHAR,          -- ISCO-08 unit group (4 digits)
    esco_code      VARCHAR,          -- ESCO's own dotted code, e.g. 2654.1.7
    version        VARCHAR           -- newest ESCO version that listed it
);

-- Labels of occupations, skills and ISCO groups in every loaded language.
CREATE TABLE IF NOT EXISTS esco_labels (
    concept_uri  VARCHAR NOT NULL,
    concept_type VARCHAR NOT NULL,   -- occupation | skill | isco_group
    lang         VARCHAR NOT NULL,
    label        VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,   -- preferred | alternative | hidden
    version      VARCHAR
);

CREATE TABLE IF NOT EXISTS isco_groups (
    isco_code   VARCHAR PRIMARY KEY, -- 1 to 4 digits
    concept_uri VARCHAR,
    level       INTEGER,             -- 1 major, 2 sub-major, 3 minor, 4 unit
    parent_code VARCHAR
);

CREATE TABLE IF NOT EXISTS esco_skills (
    skill_uri   VARCHAR PRIMARY KEY,
    skill_type  VARCHAR,             -- skill/competence | knowledge
    reuse_level VARCHAR,
    version     VARCHAR
);

CREATE TABLE IF NOT EXISTS esco_occupation_skills (
    occupation_uri VARCHAR NOT NULL,
    skill_uri      VARCHAR NOT NULL,
    relation       VARCHAR NOT NULL, -- essential | optional
    skill_type     VARCHAR,
    version        VARCHAR
);

-- ---------------------------------------------------------------- runs and postings
CREATE TABLE IF NOT EXISTS runs (
    run_id        VARCHAR PRIMARY KEY,
    command       VARCHAR NOT NULL,
    source_file   VARCHAR,
    source_sha256 VARCHAR,
    model_id      VARCHAR,
    model_dim     INTEGER,
    esco_versions VARCHAR,
    params        JSON,
    status        VARCHAR NOT NULL,  -- running | finished
    started       TIMESTAMP NOT NULL,
    finished      TIMESTAMP,
    counts        JSON
);

CREATE TABLE IF NOT EXISTS postings (
    posting_id   VARCHAR NOT NULL,   -- run_id:source_row, unique
    run_id       VARCHAR NOT NULL,
    source_row   BIGINT NOT NULL,    -- 1-based data row in the input file
    external_id  VARCHAR,            -- the input's own id column, if any
    title_raw    VARCHAR,
    title_clean  VARCHAR,
    seniority    VARCHAR,
    contract     VARCHAR,
    description  VARCHAR,
    country      VARCHAR,
    language     VARCHAR,
    date         VARCHAR,
    title_id     VARCHAR             -- md5 of language|title_clean
);

CREATE TABLE IF NOT EXISTS titles (
    title_id    VARCHAR PRIMARY KEY,
    title_clean VARCHAR NOT NULL,
    language    VARCHAR,
    n_postings  BIGINT,
    model_id    VARCHAR,
    embedding   FLOAT[]
);

CREATE TABLE IF NOT EXISTS assignments (
    posting_id     VARCHAR NOT NULL,
    run_id         VARCHAR NOT NULL,
    occupation_uri VARCHAR,
    label          VARCHAR,          -- preferred label in the chosen language
    isco_code      VARCHAR,
    isco_1         VARCHAR,
    isco_2         VARCHAR,
    isco_3         VARCHAR,
    score          DOUBLE,
    margin         DOUBLE,
    method         VARCHAR,          -- exact | fuzzy | embedding
    status         VARCHAR NOT NULL, -- matched | abstained | rejected
    reason         VARCHAR
);

CREATE TABLE IF NOT EXISTS assignment_candidates (
    posting_id     VARCHAR NOT NULL,
    run_id         VARCHAR NOT NULL,
    rank           INTEGER NOT NULL,
    occupation_uri VARCHAR NOT NULL,
    score          DOUBLE
);

-- Embeddings are cached by (model, route, text) so no text is ever encoded twice.
CREATE TABLE IF NOT EXISTS embedding_cache (
    model_id  VARCHAR NOT NULL,
    route     VARCHAR NOT NULL,      -- anchor | positive
    text      VARCHAR NOT NULL,
    embedding FLOAT[] NOT NULL
);

-- Which model produced the store's title embeddings, so vectors of another model are refused.
CREATE TABLE IF NOT EXISTS store_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);
