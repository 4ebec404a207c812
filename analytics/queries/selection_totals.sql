-- grain: round of one theme: applicable answers and Met over every question, within the selection; params: $theme, $rounds (list), $quadrants (empty = county), $teams (empty = all)
SELECT round_id,
       coalesce(sum(answers) FILTER (WHERE response <> 'Not applicable'), 0)::BIGINT AS n,
       coalesce(sum(answers) FILTER (WHERE response = 'Met'), 0)::BIGINT AS met
FROM response_counts
WHERE theme_id = $theme AND list_contains($rounds::VARCHAR[], round_id)
  AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
  AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
GROUP BY round_id
