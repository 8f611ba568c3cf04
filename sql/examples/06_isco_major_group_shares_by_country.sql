-- Question: how does each country's demand split over the ISCO-08 major groups?
-- Share of each country's matched postings per ISCO major group (1 digit), with the group's label.
SELECT country, isco_1, isco_1_label, count(*) AS n,
       round(count(*) / sum(count(*)) OVER (PARTITION BY country), 3) AS share
FROM posting_occupations
WHERE status = 'matched'
GROUP BY country, isco_1, isco_1_label
ORDER BY country, share DESC, isco_1;
