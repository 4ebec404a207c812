-- grain: round of one theme: cases, applicable answers and Met over every question, within the selection; params: $theme, $rounds (list), $quadrants (empty = county), $teams (empty = all)
WITH answered AS (
    SELECT round_id,
           coalesce(sum(answers) FILTER (WHERE response <> 'Not applicable'), 0)::BIGINT AS n,
           coalesce(sum(answers) FILTER (WHERE response = 'Met'), 0)::BIGINT AS met
    FROM response_counts
    WHERE theme_id = $theme AND list_contains($rounds::VARCHAR[], round_id)
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
    GROUP BY round_id
),
audited AS (
    SELECT round_id, sum(cases)::BIGINT AS cases
    FROM case_counts
    WHERE theme_id = $theme AND list_contains($rounds::VARCHAR[], round_id)
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
    GROUP BY round_id
)
SELECT round_id, coalesce(a.n, 0)::BIGINT AS n, coalesce(a.met, 0)::BIGINT AS met,
       c.cases
FROM audited AS c
LEFT JOIN answered AS a USING (round_id)
ORDER BY round_id
