-- Question: which skills are asked for much more in one country than in another?
-- Parameters: SET VARIABLE country_a = 'BG'; SET VARIABLE country_b = 'HR';
-- (default: the two countries with the most postings that have skills). Share = postings asking for
-- the skill / postings of the country with any skill found (posting_skills, from `jobmarket skills`).
WITH base AS (
    SELECT country, count(DISTINCT posting_id) AS n FROM posting_skill_labels GROUP BY country
),
pair AS (
    SELECT coalesce(getvariable('country_a'), (SELECT country FROM base ORDER BY n DESC, country LIMIT 1)) AS a,
           coalesce(getvariable('country_b'),
                    (SELECT country FROM base ORDER BY n DESC, country LIMIT 1 OFFSET 1)) AS b
),
demand AS (
    SELECT s.country, s.skill_uri, any_value(s.skill) AS skill, count(DISTINCT s.posting_id) / any_value(b.n) AS share
    FROM posting_skill_labels s JOIN base b USING (country)
    GROUP BY s.country, s.skill_uri
),
da AS (SELECT * FROM demand WHERE country = (SELECT a FROM pair)),
db AS (SELECT * FROM demand WHERE country = (SELECT b FROM pair))
SELECT coalesce(da.skill, db.skill) AS skill, skill_uri,
       (SELECT a FROM pair) AS country_a, round(coalesce(da.share, 0), 3) AS share_a,
       (SELECT b FROM pair) AS country_b, round(coalesce(db.share, 0), 3) AS share_b,
       round(coalesce(da.share, 0) - coalesce(db.share, 0), 3) AS difference
FROM da FULL OUTER JOIN db USING (skill_uri)
ORDER BY abs(difference) DESC, skill_uri
LIMIT 20;
