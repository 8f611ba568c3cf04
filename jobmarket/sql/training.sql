-- Statements used by model_training/ (pairs for contrastive training, ESCO hierarchy pairs).

-- name: occupation_titles
-- Every preferred and alternative occupation label of the chosen languages (hidden labels are
-- misspellings and obsolete terms: not titles to learn from).
SELECT l.concept_uri AS occupation_uri, l.lang, l.label AS title, l.kind
FROM esco_labels l
JOIN esco_occupations o ON o.occupation_uri = l.concept_uri
WHERE l.concept_type = 'occupation' AND l.kind IN ('preferred', 'alternative')
  AND (? IS NULL OR list_contains(?, l.lang))
ORDER BY l.concept_uri, l.lang, l.kind DESC, l.label;

-- name: occupation_skills
-- The English preferred label of each skill an occupation needs (skills have English labels only
-- in ESCO v1.1.1), for the chosen relation types.
SELECT r.occupation_uri, r.relation, l.label AS skill
FROM esco_occupation_skills r
JOIN esco_labels l ON l.concept_uri = r.skill_uri AND l.concept_type = 'skill'
    AND l.lang = 'en' AND l.kind = 'preferred'
WHERE list_contains(?, r.relation)
ORDER BY r.occupation_uri, r.relation, l.label;

-- name: occupation_isco
SELECT occupation_uri, isco_code FROM esco_occupations WHERE isco_code IS NOT NULL;
