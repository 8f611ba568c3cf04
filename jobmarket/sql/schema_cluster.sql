-- Tables and views of `jobmarket cluster` (jobmarket/cluster_run.py). Idempotent: applied on connect
-- after schema.sql, and again by every clustering run.

-- One row per fit. The current one keeps its fitted state as plain arrays (cluster_model_arrays) so new
-- titles can be assigned without a refit; older fits keep their parameters and counts, not their arrays.
CREATE TABLE IF NOT EXISTS cluster_runs (
    cluster_run_id VARCHAR PRIMARY KEY,  -- hash of model, parameters and the fitted title ids
    model_id       VARCHAR,              -- the model that made the title embeddings
    params         JSON,                 -- reducer, dims, min_cluster_size, min_samples, selection, seed
    n_titles_fit   BIGINT,
    n_clusters     INTEGER,
    current        BOOLEAN NOT NULL,
    created        TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- The current fit's state as named numeric arrays (no pickles: a store is data, never code): language
-- means, the PCA basis, centroids, the reduced fitted points and their cluster ids (HDBSCAN is rebuilt
-- from those when new titles are assigned). Rows of retired fits are deleted.
CREATE TABLE IF NOT EXISTS cluster_model_arrays (
    cluster_run_id VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    shape          INTEGER[] NOT NULL,
    data           DOUBLE[] NOT NULL,
    PRIMARY KEY (cluster_run_id, name)
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
