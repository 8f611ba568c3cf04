-- Question: which skills does an occupation's market ask for that ESCO does not relate to it?
-- Parameters: SET VARIABLE occupation_uri = '…'; SET VARIABLE country = 'BG';
-- (default: the occupation and country with the largest skill profile). From skill_profiles (written
-- by `jobmarket skills`): skills of the profile with no ESCO relation, by weight.
WITH target AS (
    SELECT coalesce(getvariable('occupation_uri'), (
               SELECT occupation_uri FROM skill_profiles WHERE country IS NOT NULL AND cluster_id IS NULL
               GROUP BY occupation_uri, country ORDER BY count(*) DESC, occupation_uri, country LIMIT 1)) AS uri,
           coalesce(getvariable('country'), (
               SELECT country FROM skill_profiles WHERE country IS NOT NULL AND cluster_id IS NULL
               GROUP BY occupation_uri, country ORDER BY count(*) DESC, occupation_uri, country LIMIT 1)) AS country
)
SELECT target.uri AS occupation_uri, target.country, sp.skill_uri, sp.skill, sp.weight, sp.sources
FROM target, skill_profile(target.uri, target.country) sp
WHERE NOT EXISTS (
    SELECT 1 FROM occupation_skill_labels e WHERE e.occupation_uri = target.uri AND e.skill_uri = sp.skill_uri)
ORDER BY sp.weight DESC NULLS LAST, sp.skill_uri;
