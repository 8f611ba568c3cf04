-- Question: which occupations does the matcher find hard to tell apart?
-- Matched occupations by their mean margin (best score − runner-up), lowest first, with the runner-up
-- they are most often confused with.
WITH runner AS (
    SELECT p.occupation_uri, c.occupation AS runner_up, count(*) AS n,
           row_number() OVER (PARTITION BY p.occupation_uri ORDER BY count(*) DESC, c.occupation) AS r
    FROM posting_occupations p
    JOIN posting_candidates c ON c.posting_id = p.posting_id AND c.occupation_uri <> p.occupation_uri
    WHERE p.status = 'matched' AND c.rank <= 2
    GROUP BY p.occupation_uri, c.occupation
)
SELECT p.occupation, p.isco_code, count(*) AS n_postings, round(avg(p.margin), 4) AS mean_margin,
       round(min(p.margin), 4) AS min_margin, any_value(runner.runner_up) AS often_confused_with
FROM posting_occupations p
LEFT JOIN runner ON runner.occupation_uri = p.occupation_uri AND runner.r = 1
WHERE p.status = 'matched'
GROUP BY p.occupation, p.isco_code
ORDER BY mean_margin, p.occupation
LIMIT 15;
