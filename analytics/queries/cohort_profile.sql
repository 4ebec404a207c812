-- grain: dimension (quadrant, team, gender, age_band, overall_grade) x value, cases of one theme and round; params: $theme, $round, $quadrants, $teams (empty = all)
WITH chosen AS (
    SELECT quadrant, team, gender, age_band, overall_grade, cases
    FROM case_counts
    WHERE theme_id = $theme AND round_id = $round
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
),
long AS (
    UNPIVOT chosen ON quadrant, team, gender, age_band, overall_grade
    INTO NAME dimension VALUE value
)
SELECT dimension, value, sum(cases)::BIGINT AS cases,
       sum(cases) / sum(sum(cases)) OVER (PARTITION BY dimension) AS share
FROM long
GROUP BY dimension, value
ORDER BY dimension, value
