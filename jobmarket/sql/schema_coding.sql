-- The coding index (jobmarket/coding/): titles coded by hand, where they came from, the rows refused, and
-- the matcher calibrations fitted per model. Idempotent (IF NOT EXISTS); migration 003 adds the columns
-- of existing tables that go with it.

-- One row per import (a file, or one batch of answers saved from the dashboard).
CREATE TABLE IF NOT EXISTS code_imports (
    import_id   VARCHAR PRIMARY KEY,  -- hash of source and content
    source      VARCHAR NOT NULL,     -- the name the coded titles are kept under (--source; default: file name)
    file        VARCHAR,              -- path as given (NULL: saved answers)
    sha256      VARCHAR NOT NULL,     -- of the file (saved answers: of their rows)
    imported_at TIMESTAMP NOT NULL,
    n_rows      BIGINT NOT NULL,      -- input rows
    n_coded     BIGINT NOT NULL,      -- rows kept in coded_titles
    n_rejected  BIGINT NOT NULL,      -- rows kept in code_rejects
    columns     JSON                  -- which input column was read as what
);

CREATE TABLE IF NOT EXISTS coded_titles (
    import_id      VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    source_row     BIGINT,            -- 1-based data row of the file
    title_raw      VARCHAR NOT NULL,
    title_clean    VARCHAR NOT NULL,  -- jobmarket.text.clean.clean_title
    title_key      VARCHAR NOT NULL,  -- normalize_label(title_clean): the exact-lookup key
    language       VARCHAR,           -- given or detected; NULL: unknown (matches any language)
    country        VARCHAR,
    occupation_uri VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS code_rejects (
    import_id   VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    source_row  BIGINT,
    column_name VARCHAR,              -- the input column at fault (NULL: the whole record)
    value       VARCHAR,
    reason      VARCHAR NOT NULL
);

-- A fitted combination of the matcher's signals and its confidence calibration, per model identity and
-- coding-index version (kind coded-kfold), or from ESCO's own labels held out (kind esco-labels).
CREATE TABLE IF NOT EXISTS calibrations (
    calibration_id VARCHAR PRIMARY KEY,
    model_id       VARCHAR NOT NULL,  -- the encoder's model_id (name@fingerprint of a folder)
    index_version  VARCHAR NOT NULL,  -- jobmarket.coding.importer.index_version at fitting time
    label_langs    VARCHAR NOT NULL,  -- ESCO label languages of the label index, comma-separated
    kind           VARCHAR NOT NULL,  -- coded-kfold | esco-labels
    n_examples     BIGINT NOT NULL,
    fitted_at      TIMESTAMP NOT NULL,
    params         JSON NOT NULL,     -- the combiner and calibrator (coefficients, isotonic knots)
    curve          JSON,              -- out-of-fold precision–coverage by confidence threshold
    provenance     JSON               -- jobmarket version, folds, seed, features
);
