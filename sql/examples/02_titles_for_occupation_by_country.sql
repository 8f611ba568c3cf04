-- Question: which job titles do employers in each country use for one occupation?
-- Parameter: SET VARIABLE occupation_uri = 'http://data.europa.eu/esco/occupation/…';
-- (default: the most advertised occupation). One row per country and raw title.
WITH target AS (
    SELECT coalesce(getvariable('occupation_uri'), (
        SELECT occupation_uri FROM posting_occupations WHERE status = 'matched'
        GROUP BY occupation_uri ORDER BY count(*) DESC, occupation_uri LIMIT 1)) AS uri
)
SELECT p.occupation, p.country, p.language, p.title_raw, count(*) AS n_postings,
       round(avg(p.score), 3) AS mean_score
FROM posting_occupations p, target
WHERE p.occupation_uri = target.uri AND p.status = 'matched'
GROUP BY ALL
ORDER BY p.country, n_postings DESC, p.title_raw;
