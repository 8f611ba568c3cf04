-- Question: which occupations do titles like a free text end up in?
-- Parameter: SET VARIABLE text = 'Krankenpfleger'; (default: 'software developer').
-- The 20 store titles nearest to the text (embed() encodes it with the store's model), and the
-- occupations their postings were matched to, weighted by similarity.
WITH near AS (
    SELECT * FROM similar_titles(embed(coalesce(getvariable('text'), 'software developer')), 20)
)
SELECT p.occupation_uri, p.occupation, p.isco_code,
       count(DISTINCT near.title_id) AS n_titles, count(*) AS n_postings,
       round(sum(near.similarity), 3) AS weight, round(max(near.similarity), 4) AS best_similarity
FROM near
JOIN posting_occupations p ON p.title_id = near.title_id
WHERE p.status = 'matched'
GROUP BY ALL
ORDER BY weight DESC, p.occupation_uri
LIMIT 10;
