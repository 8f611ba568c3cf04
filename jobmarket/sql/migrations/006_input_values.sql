-- 006: inputs as analysts have them (issue 13). Postings keep the raw country, language and date beside
-- the standard values (ISO 3166 alpha-2, ISO 639-1, DATE), and the part of the source a row comes from
-- (a workbook's sheet or a Parquet dataset's file) with its row number there.
ALTER TABLE postings ADD COLUMN IF NOT EXISTS country_raw VARCHAR;
ALTER TABLE postings ADD COLUMN IF NOT EXISTS language_raw VARCHAR;
ALTER TABLE postings ADD COLUMN IF NOT EXISTS date_raw VARCHAR;
ALTER TABLE postings ADD COLUMN IF NOT EXISTS source_part VARCHAR;
ALTER TABLE postings ADD COLUMN IF NOT EXISTS part_row BIGINT;

-- Rows written before keep their text as date_raw; date becomes a DATE parsed from the formats the reader
-- understands (jobmarket/sql/read_postings.sql, date_macro), NULL where none fits.
UPDATE postings SET date_raw = date WHERE date_raw IS NULL AND date IS NOT NULL;
ALTER TABLE postings ALTER COLUMN date TYPE DATE USING coalesce(
    try_strptime(trim(date), ['%Y-%m-%d', '%d.%m.%Y', '%d/%m/%Y', '%Y/%m/%d', '%d-%m-%Y'])::DATE,
    try_cast(trim(date) AS TIMESTAMP)::DATE,
    try_strptime(trim(date), ['%Y-%m', '%Y/%m', '%m/%Y', '%m.%Y'])::DATE);
