-- Statements used by the matcher (jobmarket/label_index.py, jobmarket/normalize.py).

-- name: occupation_labels
-- Occupation labels of the chosen languages; hidden labels are misspellings and old terms,
-- good for exact lookup, so the caller decides whether to embed them.
SELECT l.concept_uri, l.lang, l.label, l.kind
FROM esco_labels l
JOIN esco_occupations o ON o.occupation_uri = l.concept_uri
WHERE l.concept_type = 'occupation' AND list_contains(?, l.lang)
ORDER BY l.concept_uri, l.lang, l.kind, l.label;

-- name: label_languages
SELECT lang, count(*) AS n FROM esco_labels WHERE concept_type = 'occupation' GROUP BY lang ORDER BY lang;

-- name: occupation_info
-- Preferred label in the chosen language (English, then any, as fallbacks) and the ISCO code.
SELECT o.occupation_uri,
       coalesce(
           max(l.label) FILTER (WHERE l.lang = ? AND l.kind = 'preferred'),
           max(l.label) FILTER (WHERE l.lang = 'en' AND l.kind = 'preferred'),
           max(l.label) FILTER (WHERE l.kind = 'preferred')
       ) AS label,
       o.isco_code
FROM esco_occupations o
LEFT JOIN esco_labels l ON l.concept_uri = o.occupation_uri AND l.concept_type = 'occupation'
GROUP BY o.occupation_uri, o.isco_code;
