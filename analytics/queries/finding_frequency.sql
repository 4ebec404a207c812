-- grain: question x scope ('Selection' = the chosen quadrants, 'County' = all) for the given theme rounds; params: $theme_rounds (list of 'theme|round'), $quadrants (empty = county), $teams (empty = all)
WITH answered AS (
    SELECT theme_id, question_id, quadrant, response, answers
    FROM response_counts
    WHERE list_contains($theme_rounds::VARCHAR[], theme_id || '|' || round_id)
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
      AND response <> 'Not applicable'
),
scoped AS (
    SELECT 'County' AS scope, * FROM answered
    UNION ALL
    SELECT 'Selection' AS scope, * FROM answered
    WHERE len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant)
),
counted AS (
    SELECT scope, theme_id, question_id,
           sum(answers)::BIGINT AS n,
           coalesce(sum(answers) FILTER (WHERE response = 'Met'), 0)::BIGINT AS met,
           coalesce(sum(answers) FILTER (WHERE response = 'Partially met'), 0)::BIGINT AS partially_met,
           coalesce(sum(answers) FILTER (WHERE response = 'Not met'), 0)::BIGINT AS not_met
    FROM scoped
    GROUP BY ALL
)
SELECT c.scope, c.theme_id, c.question_id, q.text, q.category, c.n, c.met, c.partially_met,
       c.not_met, c.not_met / c.n AS pct_not_met, c.partially_met / c.n AS pct_partially_met,
       c.met / c.n AS pct_met,
       rank() OVER (PARTITION BY c.scope ORDER BY c.not_met / c.n DESC,
                    c.partially_met / c.n DESC) AS rank
FROM counted AS c
JOIN questions AS q USING (theme_id, question_id)
ORDER BY c.scope DESC, rank, c.theme_id, c.question_id
