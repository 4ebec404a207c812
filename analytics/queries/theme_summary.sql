-- grain: theme x round x quadrant (with 'County' rows): cases and responses for the given theme rounds; params: $theme_rounds (list of 'theme|round'), $teams (empty = all)
WITH answered AS (
    SELECT theme_id, round_id, quadrant, audit_id, response
    FROM responses
    WHERE list_contains($theme_rounds::VARCHAR[], theme_id || '|' || round_id)
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
)
SELECT theme_id, round_id, coalesce(quadrant, 'County') AS quadrant,
       count(DISTINCT audit_id) AS cases,
       count(*) FILTER (WHERE response <> 'Not applicable') AS n,
       count(*) FILTER (WHERE response = 'Met') AS met,
       count(*) FILTER (WHERE response = 'Met')
           / nullif(count(*) FILTER (WHERE response <> 'Not applicable'), 0) AS pct_met
FROM answered
GROUP BY GROUPING SETS ((theme_id, round_id, quadrant), (theme_id, round_id))
ORDER BY theme_id, round_id, quadrant
