-- grain: question x quadrant (NW, NE, SW, SE and County) for one theme and round; params: $theme, $round, $teams (empty = all)
WITH answered AS (
    SELECT question_id, quadrant, response, answers
    FROM response_counts
    WHERE theme_id = $theme AND round_id = $round
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
),
counted AS (
    SELECT question_id,
           coalesce(quadrant, 'County') AS quadrant,
           coalesce(sum(answers) FILTER (WHERE response <> 'Not applicable'), 0) AS n,
           coalesce(sum(answers) FILTER (WHERE response = 'Met'), 0) AS met,
           coalesce(sum(answers) FILTER (WHERE response = 'Partially met'), 0) AS partially_met,
           coalesce(sum(answers) FILTER (WHERE response = 'Not met'), 0) AS not_met,
           coalesce(sum(answers) FILTER (WHERE response = 'Not applicable'), 0) AS not_applicable
    FROM answered
    GROUP BY GROUPING SETS ((question_id, quadrant), (question_id))
),
cells AS (
    SELECT q.question_id, q.text, q.category, area.quadrant, area.position
    FROM questions AS q
    CROSS JOIN (VALUES ('NW', 1), ('NE', 2), ('SW', 3), ('SE', 4), ('County', 5)) AS area(quadrant, position)
    WHERE q.theme_id = $theme
)
SELECT $theme AS theme_id, $round AS round_id, cells.question_id, cells.text, cells.category,
       cells.quadrant,
       coalesce(c.n, 0)::BIGINT AS n, coalesce(c.met, 0)::BIGINT AS met,
       coalesce(c.partially_met, 0)::BIGINT AS partially_met,
       coalesce(c.not_met, 0)::BIGINT AS not_met,
       coalesce(c.not_applicable, 0)::BIGINT AS not_applicable,
       CASE WHEN coalesce(c.n, 0) > 0 THEN c.met / c.n END AS pct_met
FROM cells
LEFT JOIN counted AS c USING (question_id, quadrant)
ORDER BY cells.question_id, cells.position
