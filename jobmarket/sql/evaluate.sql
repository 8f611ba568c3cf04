-- Statements used by jobmarket/evaluate.py (benchmarks of any model against ESCO-derived tasks).

-- name: preferred_labels
-- One preferred label per occupation and language (the chosen languages).
SELECT l.concept_uri AS occupation_uri, l.lang, min(l.label) AS label
FROM esco_labels l
JOIN esco_occupations o ON o.occupation_uri = l.concept_uri
WHERE l.concept_type = 'occupation' AND l.kind = 'preferred' AND list_contains(?, l.lang)
GROUP BY ALL
ORDER BY occupation_uri, lang;

-- name: skill_labels
-- English preferred label of every skill.
SELECT s.skill_uri, min(l.label) AS label
FROM esco_skills s
JOIN esco_labels l ON l.concept_uri = s.skill_uri AND l.concept_type = 'skill' AND l.lang = 'en'
    AND l.kind = 'preferred'
GROUP BY ALL
ORDER BY s.skill_uri;

-- name: essential_skills
SELECT occupation_uri, skill_uri FROM esco_occupation_skills WHERE relation = 'essential'
ORDER BY occupation_uri, skill_uri;
