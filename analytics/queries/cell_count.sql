-- grain: one question x selection cell of one theme and round: the number of cases behind it (one answer per case); params: $theme, $round, $question, $quadrants (empty = county), $teams (empty = all)
SELECT coalesce(sum(answers), 0)::BIGINT AS cases
FROM response_counts
WHERE theme_id = $theme AND round_id = $round AND question_id = $question
  AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
  AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
