-- grain: practice area (category) met in under $threshold of applicable answers in at least $min_themes themes, over each theme's given round; params: $theme_rounds (list of 'theme|round'), $quadrants, $teams (empty = all), $threshold, $min_themes
WITH per_theme AS (
    SELECT q.category, r.theme_id,
           sum(r.answers)::BIGINT AS n,
           coalesce(sum(r.answers) FILTER (WHERE r.response = 'Met'), 0)::BIGINT AS met
    FROM response_counts AS r
    JOIN questions AS q USING (theme_id, question_id)
    WHERE list_contains($theme_rounds::VARCHAR[], r.theme_id || '|' || r.round_id)
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], r.quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], r.team))
      AND r.response <> 'Not applicable'
    GROUP BY ALL
),
weak AS (
    SELECT category, count(*) AS weak_themes,
           string_agg(theme_id, ', ' ORDER BY theme_id) AS themes
    FROM per_theme
    WHERE met / n < $threshold
    GROUP BY category
),
overall AS (
    SELECT category, sum(n)::BIGINT AS n, sum(met)::BIGINT AS met FROM per_theme GROUP BY category
)
SELECT w.category, w.weak_themes, w.themes, o.n, o.met, o.met / o.n AS pct_met
FROM weak AS w
JOIN overall AS o USING (category)
WHERE w.weak_themes >= $min_themes
ORDER BY w.weak_themes DESC, pct_met, w.category
