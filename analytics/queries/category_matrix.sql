-- grain: category x theme x quadrant (with 'All themes' and 'County' roll-ups) over each theme's given round; params: $theme_rounds (list of 'theme|round'), $quadrants (empty = all), $teams (empty = all)
WITH answered AS (
    SELECT r.theme_id, r.quadrant, q.category, r.response, r.answers
    FROM response_counts AS r
    JOIN questions AS q USING (theme_id, question_id)
    WHERE list_contains($theme_rounds::VARCHAR[], r.theme_id || '|' || r.round_id)
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], r.quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], r.team))
      AND r.response <> 'Not applicable'
)
SELECT category, coalesce(theme_id, 'All themes') AS theme_id,
       coalesce(quadrant, 'County') AS quadrant,
       sum(answers)::BIGINT AS n,
       coalesce(sum(answers) FILTER (WHERE response = 'Met'), 0)::BIGINT AS met,
       coalesce(sum(answers) FILTER (WHERE response = 'Met'), 0) / sum(answers) AS pct_met
FROM answered
GROUP BY GROUPING SETS ((category, theme_id, quadrant), (category, theme_id),
                        (category, quadrant), (category))
ORDER BY category, theme_id, quadrant
