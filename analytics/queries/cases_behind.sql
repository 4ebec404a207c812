-- grain: audited case, for one question x quadrant cell of one theme and round; params: $theme, $round, $question, $quadrants (empty = county), $teams (empty = all)
SELECT c.audit_id, c.child_ref, c.quadrant, c.team, c.audit_date, r.response, r.comment,
       c.overall_grade
FROM responses AS r
JOIN cases AS c ON c.audit_id = r.audit_id AND c.theme_id = r.theme_id AND c.round_id = r.round_id
WHERE r.theme_id = $theme AND r.round_id = $round AND r.question_id = $question
  AND c.theme_id = $theme AND c.round_id = $round
  AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], r.quadrant))
  AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], r.team))
ORDER BY CASE r.response WHEN 'Not met' THEN 1 WHEN 'Partially met' THEN 2 WHEN 'Met' THEN 3
         ELSE 4 END, c.audit_id
