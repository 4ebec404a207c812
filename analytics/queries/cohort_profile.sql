-- grain: dimension (quadrant, team, gender, age_band, overall_grade) x value, cases of one theme and round, values in their declared order (quadrants, grades and genders as the domain lists them, age bands youngest first, teams A to Z); params: $theme, $round, $quadrants, $teams (empty = all), $quadrant_order, $grade_order, $gender_order
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
SELECT dimension, value, sum(cases)::BIGINT AS cases
FROM long
GROUP BY dimension, value
ORDER BY dimension,
         CASE dimension
             WHEN 'quadrant' THEN list_position($quadrant_order::VARCHAR[], value)
             WHEN 'overall_grade' THEN list_position($grade_order::VARCHAR[], value)
             WHEN 'gender' THEN list_position($gender_order::VARCHAR[], value)
         END NULLS LAST,
         TRY_CAST(regexp_extract(value, '^[0-9]+') AS INTEGER) NULLS LAST,
         value
