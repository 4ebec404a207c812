-- grain: one row per practice area (kind 'area') and per theme (kind 'theme') over each theme's given round, within the selection: applicable answers, Met and cases (an area's: cases with an applicable answer in it; a theme's: audited cases); params: $theme_rounds (list of 'theme|round'), $quadrants (empty = all), $teams (empty = all)
WITH answered AS (
    SELECT r.theme_id, q.category,
           sum(r.answers)::BIGINT AS n,
           coalesce(sum(r.answers) FILTER (WHERE r.response = 'Met'), 0)::BIGINT AS met
    FROM response_counts AS r
    JOIN questions AS q USING (theme_id, question_id)
    WHERE list_contains($theme_rounds::VARCHAR[], r.theme_id || '|' || r.round_id)
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], r.quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], r.team))
      AND r.response <> 'Not applicable'
    GROUP BY r.theme_id, q.category
),
audited AS (
    SELECT theme_id, round_id, sum(cases)::BIGINT AS cases
    FROM case_counts
    WHERE list_contains($theme_rounds::VARCHAR[], theme_id || '|' || round_id)
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
    GROUP BY theme_id, round_id
),
area_cases AS (
    -- a case counts for an area only where it has an applicable answer there, so an area's
    -- cases never outnumber its answers (a case sits in one partition, quadrant and team, so
    -- the roll-up's counts add up)
    SELECT category, sum(cases)::BIGINT AS cases
    FROM area_case_counts
    WHERE list_contains($theme_rounds::VARCHAR[], theme_id || '|' || round_id)
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
    GROUP BY category
),
by_area AS (
    SELECT 'area' AS kind, a.category AS name, NULL::VARCHAR AS theme_id,
           NULL::VARCHAR AS round_id, sum(a.n)::BIGINT AS n, sum(a.met)::BIGINT AS met,
           any_value(k.cases)::BIGINT AS cases, count(*)::BIGINT AS themes
    FROM answered AS a
    JOIN area_cases AS k USING (category)
    GROUP BY a.category
),
by_theme AS (
    SELECT 'theme' AS kind, t.title AS name, a.theme_id, c.round_id,
           sum(a.n)::BIGINT AS n, sum(a.met)::BIGINT AS met, c.cases, 1::BIGINT AS themes
    FROM answered AS a
    JOIN audited AS c USING (theme_id)
    JOIN themes AS t USING (theme_id)
    GROUP BY a.theme_id, t.title, c.round_id, c.cases
)
SELECT kind, name, theme_id, round_id, n, met, met / n AS pct_met, cases, themes
FROM (SELECT * FROM by_area UNION ALL SELECT * FROM by_theme)
ORDER BY kind, pct_met, name
