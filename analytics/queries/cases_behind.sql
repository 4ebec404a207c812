-- grain: audited case, for one question x quadrant cell of one theme and round, not met first (at most $limit; NULL = all); params: $theme, $round, $question, $quadrants (empty = county), $teams (empty = all), $limit
-- Both sides filter on the partition columns and on quadrant and team with bound values, so
-- DuckDB reads one partition's files and, within them, only the row groups of the cell (the
-- files are sorted by question, quadrant and team: analytics/store.py SORT_KEYS). The order and
-- the limit need only the responses, so they are applied before the join with the cases.
WITH answered AS (
    SELECT audit_id, response, comment,
           list_position(['Not met', 'Partially met', 'Met', 'Not applicable'], response) AS rank
    FROM responses
    WHERE theme_id = $theme AND round_id = $round AND question_id = $question
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
    ORDER BY rank, audit_id
    LIMIT $limit
),
audited AS (
    SELECT audit_id, child_ref, quadrant, team, audit_date, overall_grade
    FROM cases
    WHERE theme_id = $theme AND round_id = $round
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
)
SELECT c.audit_id, c.child_ref, c.quadrant, c.team, c.audit_date, r.response, r.comment,
       c.overall_grade
FROM answered AS r
JOIN audited AS c USING (audit_id)
ORDER BY r.rank, c.audit_id
