-- Statements of the coding index (jobmarket/coding/). Tables: sql/schema_coding.sql.

-- name: raw_rows
-- A coding file as the postings reader read it (external_id is the occupation column).
SELECT source_row, external_id AS occupation, title_raw, country, language, status, reason
FROM _codes_raw ORDER BY source_row;

-- name: occupation_codes
SELECT occupation_uri, esco_code FROM esco_occupations;

-- name: occupation_label_keys
SELECT DISTINCT concept_uri, label FROM esco_labels
WHERE concept_type = 'occupation' AND kind IN ('preferred', 'alternative');

-- name: import_by_id
SELECT source, sha256, n_rows, n_coded, n_rejected FROM code_imports WHERE import_id = ?;

-- name: import_rejects
SELECT source_row, column_name, value, reason FROM code_rejects WHERE import_id = ? ORDER BY source_row;

-- name: count_source
SELECT count(*) FROM coded_titles WHERE source = ?;

-- name: source_imports
SELECT count(*) FROM code_imports WHERE source = ?;

-- name: delete_source_titles
DELETE FROM coded_titles WHERE source = ?;

-- name: delete_source_rejects
DELETE FROM code_rejects WHERE source = ?;

-- name: delete_source_imports
DELETE FROM code_imports WHERE source = ?;

-- name: count_replaced_answers
SELECT count(*) FROM coded_titles c
WHERE c.source = ? AND EXISTS (
    SELECT 1 FROM _codes_new n WHERE n.title_key = c.title_key
      AND n.language IS NOT DISTINCT FROM c.language AND n.country IS NOT DISTINCT FROM c.country);

-- name: delete_replaced_answers
DELETE FROM coded_titles c
WHERE c.source = ? AND EXISTS (
    SELECT 1 FROM _codes_new n WHERE n.title_key = c.title_key
      AND n.language IS NOT DISTINCT FROM c.language AND n.country IS NOT DISTINCT FROM c.country);

-- name: insert_import
INSERT INTO code_imports (import_id, source, file, sha256, imported_at, n_rows, n_coded, n_rejected, columns)
VALUES (?, ?, ?, ?, current_timestamp, ?, ?, ?, ?);

-- name: insert_coded
INSERT INTO coded_titles (import_id, source, source_row, title_raw, title_clean, title_key, language, country,
                          occupation_uri)
SELECT ?, ?, source_row, title_raw, title_clean, title_key, language, country, occupation_uri FROM _codes_new;

-- name: insert_rejects
INSERT INTO code_rejects (import_id, source, source_row, column_name, value, reason)
SELECT ?, ?, source_row, column_name, value, reason FROM _rejects_new;

-- name: list_sources
SELECT i.source,
       (SELECT count(*) FROM coded_titles c WHERE c.source = i.source) AS coded_titles,
       (SELECT count(DISTINCT occupation_uri) FROM coded_titles c WHERE c.source = i.source) AS occupations,
       (SELECT count(*) FROM code_rejects r WHERE r.source = i.source) AS rejected,
       count(*) AS imports,
       string_agg(DISTINCT i.file, ', ') AS files,
       max(i.imported_at) AS imported_at
FROM code_imports i
GROUP BY i.source
ORDER BY i.source;

-- name: index_digest
SELECT sha256(string_agg(title_key || chr(31) || coalesce(language, '') || chr(31) || occupation_uri, chr(30)
                         ORDER BY title_key, language, occupation_uri))
FROM coded_titles;

-- name: coded_rows
-- The coding index as the matcher reads it.
SELECT title_clean, title_key, language, occupation_uri FROM coded_titles
ORDER BY title_key, language, occupation_uri, title_clean;

-- name: calibration_by_id
SELECT calibration_id, kind, model_id, index_version, label_langs, n_examples, params, curve, provenance
FROM calibrations WHERE calibration_id = ?;

-- name: calibration_upsert
INSERT OR REPLACE INTO calibrations (calibration_id, model_id, index_version, label_langs, kind, n_examples,
                                     fitted_at, params, curve, provenance)
VALUES (?, ?, ?, ?, ?, ?, current_timestamp, ?, ?, ?);

-- name: calibrations_of_model
SELECT calibration_id, kind, index_version, label_langs, n_examples, fitted_at
FROM calibrations WHERE model_id = ? ORDER BY fitted_at DESC;

-- name: coded_languages
SELECT DISTINCT language FROM coded_titles WHERE language IS NOT NULL ORDER BY 1;
