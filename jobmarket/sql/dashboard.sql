-- Statements of the Streamlit dashboard (jobmarket/dashboard/data.py). Every user choice is a parameter:
-- $countries (VARCHAR[] or NULL: all), $d0/$d1 (DATE or NULL: open), $isco (VARCHAR[] ISCO major groups or
-- NULL: all). Postings are those of the current runs (views.sql: current_postings).

-- name: setup
-- The filtered postings, as a TEMP table macro so each statement below filters the same way. Dates are
-- VARCHAR in the store; unparseable ones pass the date filter only when it is open.
CREATE OR REPLACE TEMP MACRO dash_postings(countries, d0, d1, isco) AS TABLE
SELECT p.posting_id, p.country, p.language, try_cast(p.date AS DATE) AS day, p.title_id,
       a.status, a.occupation_uri, a.label, a.isco_code, left(a.isco_code, 1) AS isco_1
FROM current_postings p
JOIN assignments a ON a.posting_id = p.posting_id
WHERE (countries IS NULL OR list_contains(countries, p.country))
  AND (d0 IS NULL OR try_cast(p.date AS DATE) >= d0)
  AND (d1 IS NULL OR try_cast(p.date AS DATE) <= d1)
  AND (isco IS NULL OR list_contains(isco, left(a.isco_code, 1)));

-- name: store_facts
-- What the sidebar offers: countries, date span, whether skills and clusters exist.
SELECT (SELECT count(*) FROM current_postings) AS n_postings,
       (SELECT min(try_cast(date AS DATE)) FROM current_postings) AS first_day,
       (SELECT max(try_cast(date AS DATE)) FROM current_postings) AS last_day;

-- name: countries
SELECT p.country, count(*) AS n
FROM current_postings p
WHERE p.country IS NOT NULL
GROUP BY 1 ORDER BY n DESC, 1;

-- name: isco_major_groups
SELECT isco_code, label FROM isco_levels WHERE level = 1 ORDER BY isco_code;

-- name: label_languages
SELECT lang, count(*) AS n FROM esco_labels WHERE concept_type = 'occupation' AND kind = 'preferred'
GROUP BY 1 ORDER BY (lang = 'en') DESC, n DESC, lang;

-- name: totals
SELECT count(*) AS postings,
       count(*) FILTER (WHERE status = 'matched') AS matched,
       count(*) FILTER (WHERE status = 'abstained') AS abstained,
       count(*) FILTER (WHERE status = 'rejected') AS rejected,
       count(DISTINCT country) AS countries,
       count(DISTINCT occupation_uri) FILTER (WHERE status = 'matched') AS occupations
FROM dash_postings($countries, $d0, $d1, $isco);

-- name: by_country_status
SELECT coalesce(country, '?') AS country, status, count(*) AS n
FROM dash_postings($countries, $d0, $d1, $isco)
GROUP BY ALL ORDER BY country, status;

-- name: by_language
SELECT coalesce(language, '?') AS language, count(*) AS n
FROM dash_postings($countries, $d0, $d1, $isco)
GROUP BY ALL ORDER BY n DESC LIMIT 30;

-- name: by_week
SELECT date_trunc('week', day) AS week, coalesce(country, '?') AS country, count(*) AS n
FROM dash_postings($countries, $d0, $d1, $isco)
WHERE day IS NOT NULL
GROUP BY ALL ORDER BY week, country;

-- name: top_occupations_by_country
-- The $top most matched occupations of each of the $n_countries largest countries.
WITH f AS (SELECT * FROM dash_postings($countries, $d0, $d1, $isco) WHERE status = 'matched'),
big AS (SELECT country FROM f GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT $n_countries),
ranked AS (
    SELECT country, occupation_uri, count(*) AS n,
           row_number() OVER (PARTITION BY country ORDER BY count(*) DESC, occupation_uri) AS rank
    FROM f WHERE country IN (SELECT country FROM big)
    GROUP BY country, occupation_uri
)
SELECT r.country, r.occupation_uri, coalesce(l.label, r.occupation_uri) AS occupation, r.n, r.rank
FROM ranked r LEFT JOIN esco_preferred_labels l ON l.concept_uri = r.occupation_uri
WHERE r.rank <= $top
ORDER BY r.country, r.rank;

-- name: isco_by_country
SELECT coalesce(f.country, '?') AS country, f.isco_1,
       f.isco_1 || ' ' || coalesce(any_value(g.label), '') AS isco_group, count(*) AS n
FROM dash_postings($countries, $d0, $d1, $isco) f
LEFT JOIN isco_levels g ON g.isco_code = f.isco_1
WHERE f.status = 'matched' AND f.isco_1 IS NOT NULL
GROUP BY f.country, f.isco_1 ORDER BY country, f.isco_1;

-- name: occupations_with_postings
-- Occupations matched in the filtered postings, most first: the skill-gap and titles pickers' default list.
SELECT f.occupation_uri, coalesce(l.label, any_value(f.label)) AS occupation, count(*) AS n
FROM dash_postings($countries, $d0, $d1, $isco) f
LEFT JOIN esco_preferred_labels l ON l.concept_uri = f.occupation_uri
WHERE f.status = 'matched'
GROUP BY f.occupation_uri, l.label ORDER BY n DESC, occupation LIMIT $limit;

-- name: occupation_label_search
-- ESCO occupations with a label (any kind) in the label language containing $text; preferred labels
-- first, then occupations with more postings.
WITH hits AS (
    SELECT concept_uri AS occupation_uri, min(CASE kind WHEN 'preferred' THEN 0 ELSE 1 END) AS k
    FROM esco_labels
    WHERE concept_type = 'occupation' AND lang IN (label_lang(), 'en')
      AND contains(lower(label), lower($text))
    GROUP BY 1
), n AS (
    SELECT a.occupation_uri, count(*) AS n
    FROM assignments a JOIN current_postings p ON p.posting_id = a.posting_id
    WHERE a.status = 'matched' AND a.occupation_uri IN (SELECT occupation_uri FROM hits)
    GROUP BY 1
)
SELECT h.occupation_uri, coalesce(l.label, h.occupation_uri) AS occupation, coalesce(n.n, 0) AS n
FROM hits h
LEFT JOIN n ON n.occupation_uri = h.occupation_uri
LEFT JOIN esco_preferred_labels l ON l.concept_uri = h.occupation_uri
ORDER BY h.k, n DESC, occupation LIMIT $limit;

-- name: profile_countries
-- Countries with a postings skill profile for the occupation, largest first.
SELECT country, max(n_postings) AS n_postings
FROM skill_profiles
WHERE occupation_uri = $uri AND source = 'postings' AND cluster_id IS NULL AND country IS NOT NULL
GROUP BY 1 ORDER BY n_postings DESC, country;

-- name: has_table
SELECT count(*) > 0 AS ok FROM duckdb_tables() WHERE table_name = $name;

-- name: clusters
SELECT cluster_id, name, occupation_uri, occupation_label, size, n_titles, n_countries
FROM clusters ORDER BY size DESC, cluster_id LIMIT $limit;

-- name: projection_sample
-- At most $n unique titles with embeddings (a fixed pseudo-random sample: ordered by hash), each with the country most of its
-- postings come from and its cluster. The vectors are projected to 2-D in Python (PCA).
WITH t AS (
    SELECT title_id, title_clean, language, n_postings, embedding
    FROM titles WHERE embedding IS NOT NULL AND n_postings > 0
    ORDER BY hash(title_id) LIMIT $n
), c AS (
    SELECT p.title_id, p.country, count(*) AS n,
           row_number() OVER (PARTITION BY p.title_id ORDER BY count(*) DESC, p.country) AS rn
    FROM current_postings p
    WHERE p.title_id IN (SELECT title_id FROM t)
    GROUP BY p.title_id, p.country
)
SELECT t.title_id, t.title_clean AS title, t.language, t.n_postings, coalesce(c.country, '?') AS country,
       m.cluster_id, t.embedding
FROM t
LEFT JOIN c ON c.title_id = t.title_id AND c.rn = 1
LEFT JOIN cluster_members m ON m.title_id = t.title_id
ORDER BY t.title_id;

-- name: projection_sample_no_clusters
WITH t AS (
    SELECT title_id, title_clean, language, n_postings, embedding
    FROM titles WHERE embedding IS NOT NULL AND n_postings > 0
    ORDER BY hash(title_id) LIMIT $n
), c AS (
    SELECT p.title_id, p.country, count(*) AS n,
           row_number() OVER (PARTITION BY p.title_id ORDER BY count(*) DESC, p.country) AS rn
    FROM current_postings p
    WHERE p.title_id IN (SELECT title_id FROM t)
    GROUP BY p.title_id, p.country
)
SELECT t.title_id, t.title_clean AS title, t.language, t.n_postings, coalesce(c.country, '?') AS country,
       CAST(NULL AS INTEGER) AS cluster_id, t.embedding
FROM t
LEFT JOIN c ON c.title_id = t.title_id AND c.rn = 1
ORDER BY t.title_id;

-- name: occupation_label
SELECT concept_uri AS occupation_uri, label AS occupation FROM esco_preferred_labels WHERE concept_uri = $uri;

-- name: cluster_titles
-- The $top titles of cluster $cluster_id in each country (views of schema_cluster.sql).
SELECT country, title, language, n_postings, share_in_country, rank
FROM cluster_titles_by_country
WHERE cluster_id = $cluster_id AND rank <= $top
ORDER BY sum(n_postings) OVER (PARTITION BY country) DESC, country, rank;

-- name: occupation_titles
SELECT country, title, language, n_postings, share_in_country, rank
FROM occupation_titles_by_country
WHERE occupation_uri = $uri AND rank <= $top
ORDER BY sum(n_postings) OVER (PARTITION BY country) DESC, country, rank;
