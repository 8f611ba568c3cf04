-- Statements used by jobmarket/io/reader.py to read a postings file and account for every record.
-- Each section is one statement, named by `-- name:`. Words in {braces} are filled in by the Python
-- (quoted identifiers and literals only); `?` are bound parameters.
--
-- Every reader produces a stage table whose rows carry an ordering key (_k1, _k2) that puts them in
-- file order, the part it comes from (_part: a workbook's sheet, a Parquet dataset's file; _part_row: its
-- row there), the columns mapped to roles: external_id, title_raw, description, country, language,
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
SELECT rowid + 1 AS _k1, 0::BIGINT AS _k2, NULL::VARCHAR AS _part, NULL::BIGINT AS _part_row,
       external_id, title_raw, description, country, language, date, NULL::VARCHAR AS _error
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
SELECT _k1, 0::BIGINT AS _k2, NULL::VARCHAR AS _part, NULL::BIGINT AS _part_row, {projection}, _error
FROM parsed;

-- name: json_array_stage
CREATE OR REPLACE TEMP TABLE {stage} AS
SELECT {projection}
FROM read_json({path}, format = 'array', records = true, sample_size = -1);

-- name: parquet_stage
CREATE OR REPLACE TEMP TABLE {stage} AS
SELECT file_row_number + 1 AS _pos, {projection}
FROM read_parquet({path}, file_row_number = true);

-- name: parquet_dataset_stage
-- A folder of Parquet files as one source: rows in order of file name, then row within the file.
CREATE OR REPLACE TEMP TABLE {stage} AS
SELECT row_number() OVER (ORDER BY filename, file_row_number) AS _pos,
       substr(filename, {prefix_len} + 1) AS _part, file_row_number + 1 AS _part_row, {projection}
FROM read_parquet({path}, filename = true, file_row_number = true, union_by_name = true);

-- name: positional_staged_rows
-- Rows whose position is known exactly (Parquet row numbers, JSON array order, sheet rows).
CREATE OR REPLACE TEMP VIEW {view} AS
SELECT {position} AS _k1, 0::BIGINT AS _k2, {part} AS _part, {part_row} AS _part_row,
       external_id, title_raw, description, country, language, date, NULL::VARCHAR AS _error
FROM {stage};

-- name: date_macro
-- The dates files give, as DATE: ISO (with or without a time), dd.mm.yyyy, dd/mm/yyyy, yyyy/mm/dd,
-- dd-mm-yyyy and yyyy-mm (the first of that month). NULL when none fits (counted in the read's notes).
CREATE OR REPLACE TEMP MACRO _jm_parse_date(d) AS coalesce(
    try_strptime(trim(d), ['%Y-%m-%d', '%d.%m.%Y', '%d/%m/%Y', '%Y/%m/%d', '%d-%m-%Y'])::DATE,
    try_cast(trim(d) AS TIMESTAMP)::DATE,
    try_strptime(trim(d), ['%Y-%m', '%Y/%m', '%m/%Y', '%m.%Y'])::DATE);

-- name: finish
-- Every record once, numbered 1..n in file order: rows the reader kept and records it rejected (a
-- rejected record sorts after the kept row it follows: _k1 = kept rows before it, _k2 = its position).
-- A kept row is rejected too when its "title" is not one: empty, too long, an e-mail address, a URL, a
-- phone number, or without a single letter (Unicode's category L, so every script counts: "0", "-1",
-- "3.14", "#12/4" are not titles). When nothing was rejected by the reader and the kept rows are numbered
-- densely, _k1 is already the record number and the rows are already in order: no sort.
-- Raw country, language and date stay beside the standard values (country and language are filled in
-- by jobmarket/io/values.py).
CREATE OR REPLACE TEMP TABLE {table} AS
WITH recs AS (
    SELECT * FROM {view}
    UNION ALL
    SELECT kept_before AS _k1, pos AS _k2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, reason
    FROM {rejected}
), checked AS (
    SELECT *,
           CASE WHEN _error IS NOT NULL THEN _error
                WHEN title_raw IS NULL OR regexp_full_match(title_raw, '[\s\p{{Z}}\p{{Cc}}\p{{Cf}}]*')
                    THEN 'empty title'
                WHEN length(title_raw) > $max_len
                    THEN 'title longer than ' || $max_len || ' characters'
                WHEN regexp_full_match(trim(title_raw), '[^\s@]+@[^\s@]+\.[^\s@]+')
                    THEN 'title is an e-mail address'
                WHEN regexp_full_match(trim(title_raw), '(?i)([a-z][a-z0-9+.\-]*://|www\.)\S+')
                    THEN 'title is a URL'
                WHEN regexp_full_match(trim(title_raw), '\+?[\p{{Nd}}\s\p{{Z}}().\-/]+')
                     AND length(regexp_replace(title_raw, '[^\p{{Nd}}]', '', 'g')) BETWEEN 7 AND 15
                     AND _jm_parse_date(title_raw) IS NULL
                    THEN 'title is a phone number'
                WHEN NOT regexp_matches(title_raw, '\p{{L}}')
                    THEN 'title has no letters'
           END AS _reason
    FROM recs
)
SELECT ({source_row})::BIGINT AS source_row, _part AS source_part, _part_row AS part_row,
       external_id, title_raw, description,
       NULL::VARCHAR AS country, NULL::VARCHAR AS language, _jm_parse_date(date) AS date,
       country AS country_raw, language AS language_raw, date AS date_raw,
       CASE WHEN _reason IS NULL THEN 'ok' ELSE 'rejected' END AS status,
       _reason AS reason
FROM checked
{order};

-- name: counts
SELECT count(*), count(*) FILTER (WHERE status = 'rejected') FROM {table};
