-- Macros over the store, created on every connection after sql/views.sql (jobmarket/sqlobjects.py).
-- Vectors: titles.embedding is a FLOAT[] list of the store's model (store_meta model_id, model_dim);
-- query vectors come from embed('text') (a FLOAT[d] array) or from Python. See benchmarks/results/sql.md
-- for why similarity is list_cosine_similarity over the stored lists.

-- name: store_model_id
CREATE OR REPLACE MACRO store_model_id() AS (SELECT max(value) FROM store_meta WHERE key = 'model_id');

-- name: store_model_dim
CREATE OR REPLACE MACRO store_model_dim() AS
    (SELECT max(value)::INTEGER FROM store_meta WHERE key = 'model_dim');

-- name: check_query_vec
-- The query vector as a FLOAT[] list, or a clear error when it cannot be compared with the store's.
CREATE OR REPLACE MACRO check_query_vec(v) AS
    CASE WHEN store_model_dim() IS NULL
             THEN error('the store has no embeddings yet: run `jobmarket normalize` first')
         WHEN len(v::FLOAT[]) <> store_model_dim()
             THEN error('query vector has ' || len(v::FLOAT[]) || ' dimensions, but the store''s embeddings '
                        || '(model ' || store_model_id() || ') have ' || store_model_dim()
                        || ': encode the query with the store''s model, e.g. embed(''text'')')
         ELSE v::FLOAT[] END;

-- name: similar_titles
-- The k unique titles nearest to a query vector: SELECT * FROM similar_titles(embed('Krankenpfleger'), 10).
-- The vector is checked once in a materialised CTE, so a wrong one fails even on an empty store.
CREATE OR REPLACE MACRO similar_titles(query_vec, k) AS TABLE
WITH q AS MATERIALIZED (SELECT check_query_vec(query_vec) AS v)
SELECT t.title_id, t.title_clean, t.language, t.n_postings,
       list_cosine_similarity(t.embedding, q.v) AS similarity
FROM q, titles t
WHERE t.model_id = store_model_id() AND t.n_postings > 0  -- titles of the current postings
ORDER BY similarity DESC, t.title_id
LIMIT k;

-- name: occupation_postings
-- The postings of the current runs matched to one occupation.
CREATE OR REPLACE MACRO occupation_postings(uri) AS TABLE
SELECT posting_id, run_id, source_row, external_id, country, language, title_raw, title_clean,
       score, margin, method
FROM posting_occupations
WHERE occupation_uri = uri AND status = 'matched'
ORDER BY country, score DESC, posting_id;

-- name: skill_profile
-- requires: skill_profiles
-- One occupation's skill profile in one country (in_country NULL: over all countries), one row per
-- skill, its sources side by side: `share` of postings asking for it (source postings), `model_score`
-- (source model), ESCO's `relation`. `weight` is the demand: the postings share where there is one,
-- else the model score, else 1 for an ESCO essential skill and 0.5 for an optional one.
CREATE OR REPLACE MACRO skill_profile(uri, in_country) AS TABLE
SELECT sp.skill_uri, any_value(sp.skill) AS skill,
       coalesce(max(sp.weight) FILTER (WHERE sp.source = 'postings'),
                max(sp.weight) FILTER (WHERE sp.source = 'model'),
                max(CASE sp.relation WHEN 'essential' THEN 1.0 WHEN 'optional' THEN 0.5 END)) AS weight,
       max(sp.weight) FILTER (WHERE sp.source = 'postings') AS share,
       max(sp.weight) FILTER (WHERE sp.source = 'model') AS model_score,
       max(sp.relation) AS relation,
       max(sp.n_postings) FILTER (WHERE sp.source = 'postings') AS n_postings,
       string_agg(DISTINCT sp.source, ',' ORDER BY sp.source) AS sources
FROM skill_profile_labels sp
WHERE sp.occupation_uri = uri AND sp.cluster_id IS NULL
  AND sp.country IS NOT DISTINCT FROM in_country
GROUP BY sp.skill_uri
ORDER BY weight DESC NULLS LAST, sp.skill_uri;

-- name: skill_gap
-- requires: skill_profiles
-- Skills an occupation demands in a country against a supply table (any table or view with columns
-- skill_uri and weight, named as a string): gap = demand − supply, largest first.
CREATE OR REPLACE MACRO skill_gap(uri, in_country, supply_table) AS TABLE
-- Demand is what the postings ask for (the share naming the skill), not the model's view of the job.
WITH demand AS (SELECT skill_uri, skill, share AS weight FROM skill_profile(uri, in_country)
                WHERE share IS NOT NULL),
     supply AS (SELECT skill_uri, max(weight) AS weight FROM query_table(supply_table) GROUP BY skill_uri)
SELECT coalesce(d.skill_uri, s.skill_uri) AS skill_uri,
       coalesce(d.skill, l.label) AS skill,
       coalesce(d.weight, 0) AS demand,
       coalesce(s.weight, 0) AS supply,
       coalesce(d.weight, 0) - coalesce(s.weight, 0) AS gap,
       s.skill_uri IS NOT NULL AS in_supply
FROM demand d
FULL OUTER JOIN supply s ON s.skill_uri = d.skill_uri
LEFT JOIN esco_preferred_labels l ON l.concept_uri = s.skill_uri
ORDER BY gap DESC, skill_uri;
