-- Question: what happened to every input row of each file?
-- Per current run: rows matched, abstained and rejected (with the most common rejection reason); the
-- three add up to the file's rows, so nothing is lost silently.
SELECT r.source_file, r.run_id, r.model_id,
       count(*) AS n_rows,
       count(*) FILTER (WHERE p.status = 'matched') AS matched,
       count(*) FILTER (WHERE p.status = 'abstained') AS abstained,
       count(*) FILTER (WHERE p.status = 'rejected') AS rejected,
       mode(p.reason) FILTER (WHERE p.status = 'rejected') AS top_reject_reason
FROM current_runs r
JOIN posting_occupations p ON p.run_id = r.run_id
GROUP BY ALL
ORDER BY r.source_file;
