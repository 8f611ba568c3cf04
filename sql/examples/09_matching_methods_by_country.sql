-- Question: how were postings matched in each country: by an exact ESCO label, a near-exact one or
-- the model alone? Many model-only matches mean titles far from ESCO's wording.
SELECT country, method, count(*) AS n,
       round(count(*) / sum(count(*)) OVER (PARTITION BY country), 3) AS share,
       round(avg(score), 3) AS mean_score
FROM posting_occupations
WHERE status = 'matched'
GROUP BY country, method
ORDER BY country, n DESC, method;
