-- Question: which titles mean the same job across countries and languages?
-- For each occupation matched in more than one language, its most used title in each language.
WITH per_lang AS (
    SELECT occupation_uri, occupation, language, title_clean, count(*) AS n
    FROM posting_occupations
    WHERE status = 'matched' AND language IS NOT NULL
    GROUP BY occupation_uri, occupation, language, title_clean
    QUALIFY row_number() OVER (PARTITION BY occupation_uri, language ORDER BY count(*) DESC, title_clean) = 1
)
SELECT occupation, count(*) AS n_languages,
       string_agg(language || ': ' || title_clean, ' | ' ORDER BY language) AS titles
FROM per_lang
GROUP BY occupation_uri, occupation
HAVING count(*) > 1
ORDER BY n_languages DESC, occupation;
