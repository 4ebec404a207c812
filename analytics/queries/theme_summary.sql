-- grain: theme x quadrant (with 'County' rows) at each theme's latest round, beside its previous round; params: $latest, $previous (lists of 'theme|round'), $teams (empty = all)
WITH answers AS (
    SELECT theme_id, round_id, coalesce(quadrant, 'County') AS quadrant,
           coalesce(sum(answers) FILTER (WHERE response <> 'Not applicable'), 0)::BIGINT AS n,
           coalesce(sum(answers) FILTER (WHERE response = 'Met'), 0)::BIGINT AS met
    FROM response_counts
    WHERE (list_contains($latest::VARCHAR[], theme_id || '|' || round_id)
           OR list_contains($previous::VARCHAR[], theme_id || '|' || round_id))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
    GROUP BY GROUPING SETS ((theme_id, round_id, quadrant), (theme_id, round_id))
),
audited AS (
    SELECT theme_id, round_id, coalesce(quadrant, 'County') AS quadrant,
           sum(cases)::BIGINT AS cases
    FROM case_counts
    WHERE (list_contains($latest::VARCHAR[], theme_id || '|' || round_id)
           OR list_contains($previous::VARCHAR[], theme_id || '|' || round_id))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
    GROUP BY GROUPING SETS ((theme_id, round_id, quadrant), (theme_id, round_id))
),
counted AS (
    SELECT a.*, c.cases FROM answers AS a JOIN audited AS c USING (theme_id, round_id, quadrant)
),
latest AS (
    SELECT * FROM counted WHERE list_contains($latest::VARCHAR[], theme_id || '|' || round_id)
),
previous AS (
    SELECT * FROM counted WHERE list_contains($previous::VARCHAR[], theme_id || '|' || round_id)
)
SELECT l.theme_id, t.title, l.round_id, l.quadrant, l.cases, l.n, l.met,
       l.met / nullif(l.n, 0) AS pct_met,
       p.round_id AS round_id_previous, p.cases AS cases_previous, p.n AS n_previous,
       p.met AS met_previous, p.met / nullif(p.n, 0) AS pct_met_previous
FROM latest AS l
JOIN themes AS t USING (theme_id)
LEFT JOIN previous AS p USING (theme_id, quadrant)
ORDER BY t.sort_order, l.theme_id,
         list_position(['NW', 'NE', 'SW', 'SE', 'County'], l.quadrant)
