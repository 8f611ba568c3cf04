-- What follows the current runs (views.sql: current_runs, current_postings): the tables that store counts
-- of postings are refreshed in every transaction that changes which runs are current
-- (jobmarket/pipelines/current.py).

-- name: refresh_title_counts
UPDATE titles SET n_postings = coalesce(c.n, 0)
FROM (SELECT t.title_id, n.n FROM titles t
      LEFT JOIN (SELECT title_id, count(*) AS n FROM current_postings WHERE title_id IS NOT NULL GROUP BY 1) n
             ON n.title_id = t.title_id) c
WHERE titles.title_id = c.title_id AND titles.n_postings IS DISTINCT FROM coalesce(c.n, 0);

-- name: has_profiles
SELECT count(*) > 0 FROM skill_profiles;

-- name: model_profile_rows
-- The model's skills of each occupation title, kept when the postings profiles are rebuilt.
SELECT occupation_uri, skill_uri, weight FROM skill_profiles WHERE source = 'model' AND scope = 'occupation';

-- name: current_cluster_run
SELECT cluster_run_id FROM cluster_runs WHERE current;

-- name: runs_list
-- Every run, newest first, with whether it is counted (current) and what superseded it.
SELECT r.run_id, r.command, coalesce(r.source_path, r.source_file) AS source, r.status,
       r.command = 'normalize' AND r.status = 'finished' AND r.superseded_by IS NULL AS current,
       r.superseded_by, r.supersedes, r.started, r.finished,
       (SELECT count(*) FROM postings p WHERE p.run_id = r.run_id) AS n_postings,
       r.model_id, r.source_sha256
FROM runs r
ORDER BY r.started DESC, r.run_id;

-- name: run_row
SELECT * FROM runs WHERE run_id = ?;

-- name: run_ids_like
SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY run_id;

-- name: runs_of_source
-- Skills runs made from a normalize run (deleted with it).
SELECT run_id FROM runs WHERE command = 'skills' AND json_extract_string(params, '$.source_run') = ?;

-- name: restore_superseded
-- Deleting a run hands the runs it superseded to whatever superseded it ($by, NULL when it was current):
-- deleting the current run of a path makes the one before it current again (an undo).
UPDATE runs SET superseded_by = $by WHERE superseded_by = $run;
