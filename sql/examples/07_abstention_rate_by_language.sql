-- Question: in which languages does the matcher abstain most?
-- Per posting language: postings, abstained, rejected, and the abstention rate among the postings it
-- tried (matched + abstained). A high rate points at missing ESCO labels in that language.
SELECT coalesce(language, '?') AS language, count(*) AS n_postings,
       count(*) FILTER (WHERE status = 'abstained') AS abstained,
       count(*) FILTER (WHERE status = 'rejected') AS rejected,
       round(count(*) FILTER (WHERE status = 'abstained')
             / nullif(count(*) FILTER (WHERE status IN ('matched', 'abstained')), 0), 3) AS abstention_rate
FROM posting_occupations
GROUP BY ALL
ORDER BY abstention_rate DESC NULLS LAST, n_postings DESC, language;
