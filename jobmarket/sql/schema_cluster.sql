-- Tables and views of `jobmarket cluster` (jobmarket/cluster_run.py). Idempotent: applied on connect
-- after schema.sql, and again by every clustering run.

-- One row per fit. The current one keeps its fitted reducer + clusterer (joblib) so new titles can be
-- assigned without a refit; older fits keep their parameters and counts, not their model.
CREATE TABLE IF NOT EXISTS cluster_runs (
    cluster_run_id VARCHAR PRIMARY KEY,  -- hash of model, parameters and the fitted title ids
    model_id       VARCHAR,              -- the model that made the title embeddings
    params         JSON,                 -- reducer, dims, min_cluster_size, min_samples, selection, seed
    n_titles_fit   BIGINT,
    n_clusters     INTEGER,
    current        BOOLEAN NOT NULL,
    created        TIMESTAMP NOT NULL DEFAULT current_timestamp,
    model          BLOB                  -- NULL once superseded
);

CREATE TABLE IF NOT EXISTS clusters (
    cluster_id       INTEGER PRIMARY KEY, -- 0 = most postings
    cluster_run_id   VARCHAR,
    name             VARCHAR,             -- most central title, in the chosen language where it has one
    name_lang        VARCHAR,
    occupation_uri   VARCHAR,             -- dominant ESCO occupation of its members' matched postings
    occupation_label VARCHAR,
    occupation_share DOUBLE,              -- share of its matched postings with that occupation
    n_titles         INTEGER,
    size             BIGINT,              -- postings
    n_countries      INTEGER,
    n_languages      INTEGER,
    countries        STRUCT(country VARCHAR, n BIGINT)[],   -- postings per country, most first
    languages        STRUCT(language VARCHAR, n BIGINT)[],  -- postings per title language, most first
    n_attached       INTEGER              -- outlier titles attached on request
);

-- One row per clustered title. Outliers have cluster_id NULL unless attached on request: then
-- cluster_id = nearest_cluster_id and attached = true, so an attachment is never silent.
CREATE TABLE IF NOT EXISTS cluster_members (
    title_id           VARCHAR PRIMARY KEY,
    cluster_id         INTEGER,
    probability        DOUBLE,            -- HDBSCAN membership (fit) or strength (approximate_predict)
    centrality         DOUBLE,            -- cosine to its cluster's centroid (reduced space)
    outlier            BOOLEAN NOT NULL,
    attached           BOOLEAN NOT NULL,
    nearest_cluster_id INTEGER,           -- closest centroid, for every title
    nearest_similarity DOUBLE,
    source             VARCHAR NOT NULL,  -- fit | predict (assigned later without a refit)
    cluster_run_id     VARCHAR NOT NULL
);

-- The cross-country view: per cluster and country, the titles used there, most frequent first.
CREATE OR REPLACE VIEW cluster_titles_by_country AS
SELECT m.cluster_id, c.name AS cluster_name, p.country, t.title_clean AS title, t.language,
       count(*) AS n_postings,
       count(*) / sum(count(*)) OVER (PARTITION BY m.cluster_id, p.country) AS share_in_country,
       row_number() OVER (PARTITION BY m.cluster_id, p.country ORDER BY count(*) DESC, t.title_clean) AS rank
FROM cluster_members m
JOIN titles t USING (title_id)
JOIN postings p USING (title_id)
LEFT JOIN clusters c ON c.cluster_id = m.cluster_id
WHERE m.cluster_id IS NOT NULL
GROUP BY m.cluster_id, c.name, p.country, t.title_clean, t.language;

-- The same per ESCO occupation, from the matched postings (no clustering needed).
CREATE OR REPLACE VIEW occupation_titles_by_country AS
SELECT a.occupation_uri, any_value(a.label) AS occupation_label, p.country, p.title_clean AS title,
       p.language, count(*) AS n_postings,
       count(*) / sum(count(*)) OVER (PARTITION BY a.occupation_uri, p.country) AS share_in_country,
       row_number() OVER (PARTITION BY a.occupation_uri, p.country ORDER BY count(*) DESC, p.title_clean) AS rank
FROM assignments a
JOIN postings p USING (posting_id)
WHERE a.status = 'matched' AND p.title_clean IS NOT NULL
GROUP BY a.occupation_uri, p.country, p.title_clean, p.language;
