-- Question: which postings did the matcher refuse to decide, and what was its best guess?
-- Abstained postings with the best candidate occupation and its score, lowest first: the queue for a
-- human reviewer (or a sign the threshold is too strict for this market).
SELECT p.posting_id, p.country, p.language, p.title_raw, p.title_clean, p.reason,
       c.occupation AS best_guess, round(c.score, 4) AS best_score
FROM posting_occupations p
LEFT JOIN posting_candidates c ON c.posting_id = p.posting_id AND c.rank = 1
WHERE p.status = 'abstained'
ORDER BY c.score, p.posting_id;
