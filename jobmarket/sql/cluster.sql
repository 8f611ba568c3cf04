-- Statements of a clustering run (jobmarket/cluster_run.py). Tables and views: sql/schema_cluster.sql.

-- name: titles_with_embeddings
SELECT title_id, language, coalesce(n_postings, 0) AS n_postings, model_id, embedding
FROM titles
WHERE embedding IS NOT NULL AND n_postings > 0  -- titles of the current postings
ORDER BY title_id;

-- name: current_run
SELECT cluster_run_id, model_id, params FROM cluster_runs WHERE current;

-- name: member_ids
SELECT title_id FROM cluster_members;

-- name: retire_runs
UPDATE cluster_runs SET current = false WHERE current;

-- name: clear_arrays
DELETE FROM cluster_model_arrays;

-- name: insert_run
INSERT OR REPLACE INTO cluster_runs (cluster_run_id, model_id, params, n_titles_fit, n_clusters, current)
VALUES (?, ?, ?, ?, ?, true);

-- name: insert_array
INSERT INTO cluster_model_arrays VALUES (?, ?, ?, ?);

-- name: load_arrays
SELECT name, shape, data FROM cluster_model_arrays WHERE cluster_run_id = ? ORDER BY name;

-- name: clear_members
DELETE FROM cluster_members;

-- name: insert_members
INSERT INTO cluster_members
SELECT title_id, CASE WHEN cluster_id >= 0 THEN cluster_id END, probability, centrality, cluster_id < 0, false,
       CASE WHEN nearest_cluster_id >= 0 THEN nearest_cluster_id END, nearest_similarity, ?, ?
FROM _new_members;

-- name: apply_attach
-- Outliers join their nearest cluster only when asked (?), and say so in `attached`.
UPDATE cluster_members
SET cluster_id = CASE WHEN NOT outlier THEN cluster_id WHEN ? THEN nearest_cluster_id END,
    attached = outlier AND ? AND nearest_cluster_id IS NOT NULL;

-- name: clear_clusters
DELETE FROM clusters;

-- name: insert_clusters
-- Parameters: the run id, the naming language (twice; NULL: any), the occupation label language.
INSERT INTO clusters
WITH members AS (
    SELECT m.*, t.title_clean, t.language FROM cluster_members m JOIN titles t USING (title_id)
    WHERE m.cluster_id IS NOT NULL
),
names AS (
    -- The most central fitted member, preferring titles in the chosen language.
    SELECT cluster_id, title_clean AS name, language AS name_lang,
           row_number() OVER (PARTITION BY cluster_id
                              ORDER BY (language = $2) IS TRUE DESC, (NOT outlier AND source = 'fit') DESC,
                                       centrality DESC, title_id) AS r
    FROM members
),
posts AS (
    SELECT m.cluster_id, p.posting_id, p.country, m.language
    FROM members m JOIN current_postings p USING (title_id)
),
countries AS (
    SELECT cluster_id, list(struct_pack(country := country, n := n) ORDER BY n DESC, country) AS countries,
           count(*) AS n_countries
    FROM (SELECT cluster_id, country, count(*) AS n FROM posts WHERE country IS NOT NULL GROUP BY ALL)
    GROUP BY cluster_id
),
languages AS (
    SELECT cluster_id, list(struct_pack(language := language, n := n) ORDER BY n DESC, language) AS languages,
           count(*) AS n_languages
    FROM (SELECT cluster_id, language, count(*) AS n FROM posts WHERE language IS NOT NULL GROUP BY ALL)
    GROUP BY cluster_id
),
occ AS (
    SELECT cluster_id, occupation_uri, n, n / sum(n) OVER (PARTITION BY cluster_id) AS share,
           row_number() OVER (PARTITION BY cluster_id ORDER BY n DESC, occupation_uri) AS r
    FROM (SELECT p.cluster_id, a.occupation_uri, count(*) AS n
          FROM posts p JOIN assignments a USING (posting_id)
          WHERE a.status = 'matched' AND a.occupation_uri IS NOT NULL GROUP BY ALL)
),
occ_label AS (
    SELECT concept_uri, arg_min(label, (lang <> $3)::INT * 2 + (lang <> 'en')::INT) AS label
    FROM esco_labels WHERE concept_type = 'occupation' AND kind = 'preferred' GROUP BY concept_uri
),
sizes AS (
    SELECT m.cluster_id, count(DISTINCT m.title_id) AS n_titles,
           count(DISTINCT m.title_id) FILTER (WHERE m.attached) AS n_attached,
           (SELECT count(*) FROM posts p WHERE p.cluster_id = m.cluster_id) AS size
    FROM members m GROUP BY m.cluster_id
)
SELECT s.cluster_id, $1, n.name, n.name_lang, o.occupation_uri, ol.label, o.share,
       s.n_titles, s.size, coalesce(c.n_countries, 0), coalesce(l.n_languages, 0),
       coalesce(c.countries, []), coalesce(l.languages, []), s.n_attached
FROM sizes s
JOIN names n ON n.cluster_id = s.cluster_id AND n.r = 1
LEFT JOIN countries c ON c.cluster_id = s.cluster_id
LEFT JOIN languages l ON l.cluster_id = s.cluster_id
LEFT JOIN occ o ON o.cluster_id = s.cluster_id AND o.r = 1
LEFT JOIN occ_label ol ON ol.concept_uri = o.occupation_uri
ORDER BY s.cluster_id;

-- name: outlier_counts
-- Titles and postings that are outliers (attached or not) and in total.
SELECT count(*) FILTER (WHERE m.outlier) AS outlier_titles,
       count(*) AS titles,
       coalesce(sum(t.n_postings) FILTER (WHERE m.outlier), 0) AS outlier_postings,
       coalesce(sum(t.n_postings), 0) AS postings,
       count(*) FILTER (WHERE m.attached) AS attached_titles
FROM cluster_members m JOIN titles t USING (title_id);

-- name: clusters_frame
SELECT * FROM clusters ORDER BY cluster_id;

-- name: cluster_titles
SELECT cluster_id, cluster_name, country, title, language, n_postings, share_in_country, rank
FROM cluster_titles_by_country
WHERE cluster_id = ? AND rank <= ?
ORDER BY sum(n_postings) OVER (PARTITION BY country) DESC, country, rank;

-- name: occupation_titles
SELECT occupation_uri, occupation_label, country, title, language, n_postings, share_in_country, rank
FROM occupation_titles_by_country
WHERE occupation_uri = ? AND rank <= ?
ORDER BY sum(n_postings) OVER (PARTITION BY country) DESC, country, rank;
