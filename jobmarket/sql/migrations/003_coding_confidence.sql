-- 003: the coding index and calibrated confidence (issue 14). The new tables come from schema_coding.sql,
-- which every open applies; an assignment's scores are kept apart: `similarity` (the embedding's cosine
-- score of the chosen occupation), `method_score` (the deciding method's own score: 1 for exact, the fuzzy
-- ratio, the coded-title vote) and `confidence` (calibrated probability that it is right). `score` stays,
-- now always equal to `similarity`.
ALTER TABLE assignments ADD COLUMN IF NOT EXISTS similarity DOUBLE;
ALTER TABLE assignments ADD COLUMN IF NOT EXISTS method_score DOUBLE;
ALTER TABLE assignments ADD COLUMN IF NOT EXISTS confidence DOUBLE;
ALTER TABLE assignment_candidates ADD COLUMN IF NOT EXISTS confidence DOUBLE;
