-- Question: which occupations are most advertised in each country?
-- The three most frequent matched occupations per country, with their share of the country's
-- matched postings. Labels follow label_lang (SET VARIABLE label_lang = 'de').
SELECT country, occupation, isco_code, n, round(n / sum(n) OVER (PARTITION BY country), 3) AS share
FROM (
    SELECT country, occupation_uri, occupation, isco_code, count(*) AS n
    FROM posting_occupations
    WHERE status = 'matched'
    GROUP BY ALL
)
QUALIFY row_number() OVER (PARTITION BY country ORDER BY n DESC, occupation) <= 3
ORDER BY country, n DESC, occupation;
