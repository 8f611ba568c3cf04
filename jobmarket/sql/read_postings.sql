-- Statements used by jobmarket/io/reader.py to read a postings file and account for every record.
-- Each section is one statement, named by `-- name:`. Words in {braces} are filled in by the Python
-- (quoted identifiers and literals only); `?` are bound parameters.
--
-- Every reader produces a stage table whose rows carry an ordering key (_k1, _k2) that puts them in
-- file order, and the columns mapped to roles: external_id, title_raw, description, country, language,
-- date, plus _error (a reason the record cannot be used, or NULL). `finish` numbers them 1..n.

-- name: csv_stage
-- DuckDB's CSV reader with the header and dialect we determined; malformed records go to the rejects
-- tables (with their record number) instead of stopping the read. parallel=false keeps file order and
-- is required by null_padding with quoted newlines.
CREATE OR REPLACE TEMP TABLE {stage} AS
SELECT {projection}
FROM read_csv({path}, auto_detect = false, header = true, delim = {delim}, quote = '"', escape = '"',
              columns = {columns}, null_padding = true, parallel = false, store_rejects = true,
              rejects_table = {rejects}, rejects_scan = {scans}, max_line_size = {max_line_size});

-- name: rejected_records
-- One row per rejected record: its position among the file's records (header excluded), why, and how
-- many kept rows precede it (exact when the file has no blank lines before it; see postings.py).
CREATE OR REPLACE TEMP TABLE {rejected} AS
WITH r AS (
    SELECT line - $header_lines AS pos,
           arg_min(error_type, coalesce(byte_position, 0)) AS error_type,
           max(column_idx) FILTER (WHERE error_type = 'TOO MANY COLUMNS') AS n_fields,
           arg_min(column_idx, coalesce(byte_position, 0)) AS column_idx,
           arg_min(error_message, coalesce(byte_position, 0)) AS message
    FROM {rejects}
    GROUP BY line
)
SELECT pos,
       pos - row_number() OVER (ORDER BY pos) AS kept_before,
       CASE WHEN error_type = 'TOO MANY COLUMNS'
                THEN 'row has ' || n_fields || ' fields, header has ' || $n_header
            WHEN error_type = 'MISSING COLUMNS'
                THEN 'row has fewer fields than the header (' || $n_header || ')'
            WHEN error_type IN ('INVALID ENCODING', 'INVALID UNICODE') THEN 'invalid UTF-8'
            WHEN error_type = 'UNQUOTED VALUE'
                THEN 'malformed quotes in column ' || coalesce($names[column_idx::BIGINT], '?') || ': ' || message
            WHEN error_type = 'LINE SIZE OVER MAXIMUM'
                THEN 'record longer than ' || $max_line_size || ' bytes'
            ELSE lower(error_type) || ': ' || message
       END AS reason
FROM r;

-- name: csv_staged_rows
-- Data rows in file order: _k1 is the row's rank among the rows DuckDB kept.
CREATE OR REPLACE TEMP VIEW {view} AS
SELECT rowid + 1 AS _k1, 0::BIGINT AS _k2, external_id, title_raw, description, country, language, date,
       NULL::VARCHAR AS _error
FROM {stage};

-- name: lines_stage
-- JSON Lines read as one VARCHAR per line (chr(1) never occurs in valid JSON); blank lines come back
-- as NULL rows, so DuckDB's row order and line numbers agree.
CREATE OR REPLACE TEMP TABLE {stage} AS
SELECT line
FROM read_csv({path}, auto_detect = false, header = false, delim = chr(1), quote = '', escape = '',
              columns = {{'line': 'VARCHAR'}}, strict_mode = false, parallel = false, store_rejects = true,
              rejects_table = {rejects}, rejects_scan = {scans}, max_line_size = {max_line_size});

-- name: json_keys
-- The keys of the JSON objects, in order of first appearance.
SELECT k
FROM (SELECT unnest(json_keys(line)) AS k, rowid AS r
      FROM {stage}
      WHERE CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END)
GROUP BY k
ORDER BY min(r), k;

-- name: jsonl_staged_rows
-- One row per non-blank line; invalid lines carry a reason instead of values.
CREATE OR REPLACE TEMP VIEW {view} AS
WITH parsed AS (
    SELECT rowid + 1 AS _k1, line,
           CASE WHEN NOT json_valid(line) THEN 'invalid JSON'
                WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object'
           END AS _error
    FROM {stage}
    WHERE line IS NOT NULL AND NOT regexp_full_match(line, '[\s\p{{Z}}]*')
)
SELECT _k1, 0::BIGINT AS _k2, {projection}, _error
FROM parsed;

-- name: json_array_stage
CREATE OR REPLACE TEMP TABLE {stage} AS
SELECT {projection}
FROM read_json({path}, format = 'array', records = true, sample_size = -1);

-- name: parquet_stage
CREATE OR REPLACE TEMP TABLE {stage} AS
SELECT file_row_number + 1 AS _pos, {projection}
FROM read_parquet({path}, file_row_number = true);

-- name: positional_staged_rows
-- Rows whose position is known exactly (Parquet row numbers, JSON array order).
CREATE OR REPLACE TEMP VIEW {view} AS
SELECT {position} AS _k1, 0::BIGINT AS _k2, external_id, title_raw, description, country, language, date,
       NULL::VARCHAR AS _error
FROM {stage};

-- name: finish
-- Every record once, numbered 1..n in file order: rows the reader kept and records it rejected (a
-- rejected record sorts after the kept row it follows: _k1 = kept rows before it, _k2 = its position).
-- A kept row is rejected too when its title is empty or too long. When nothing was rejected by the
-- reader and the kept rows are numbered densely, _k1 is already the record number and the rows are
-- already in order: no sort.
CREATE OR REPLACE TEMP TABLE {table} AS
WITH recs AS (
    SELECT * FROM {view}
    UNION ALL
    SELECT kept_before AS _k1, pos AS _k2, NULL, NULL, NULL, NULL, NULL, NULL, reason
    FROM {rejected}
)
SELECT {source_row} AS source_row,
       external_id, title_raw, description, country, language, date,
       CASE WHEN _error IS NOT NULL
                 OR title_raw IS NULL OR regexp_full_match(title_raw, '[\s\p{{Z}}\p{{Cc}}\p{{Cf}}]*')
                 OR length(title_raw) > $max_len
            THEN 'rejected' ELSE 'ok' END AS status,
       CASE WHEN _error IS NOT NULL THEN _error
            WHEN title_raw IS NULL OR regexp_full_match(title_raw, '[\s\p{{Z}}\p{{Cc}}\p{{Cf}}]*')
                THEN 'empty title'
            WHEN length(title_raw) > $max_len
                THEN 'title longer than ' || $max_len || ' characters'
       END AS reason
FROM recs
{order};

-- name: counts
SELECT count(*), count(*) FILTER (WHERE status = 'rejected') FROM {table};
