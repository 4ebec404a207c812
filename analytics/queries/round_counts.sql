-- grain: question x round for one theme and two rounds, within the selection; params: $theme, $rounds (list), $quadrants (empty = county), $teams (empty = all)
SELECT question_id, round_id,
       count(*) FILTER (WHERE response <> 'Not applicable') AS n,
       count(*) FILTER (WHERE response = 'Met') AS met
FROM responses
WHERE theme_id = $theme AND list_contains($rounds::VARCHAR[], round_id)
  AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
  AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
GROUP BY ALL
