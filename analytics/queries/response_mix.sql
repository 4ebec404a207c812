-- grain: quadrant (NW, NE, SW, SE and County) for one theme and round, answers pooled over its questions; params: $theme, $round, $teams (empty = all)
WITH answered AS (
    SELECT quadrant, response, answers
    FROM response_counts
    WHERE theme_id = $theme AND round_id = $round
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
),
counted AS (
    SELECT coalesce(quadrant, 'County') AS quadrant,
           coalesce(sum(answers) FILTER (WHERE response = 'Met'), 0) AS met,
           coalesce(sum(answers) FILTER (WHERE response = 'Partially met'), 0) AS partially_met,
           coalesce(sum(answers) FILTER (WHERE response = 'Not met'), 0) AS not_met,
           coalesce(sum(answers) FILTER (WHERE response = 'Not applicable'), 0) AS not_applicable
    FROM answered
    GROUP BY GROUPING SETS ((quadrant), ())
),
-- Every area has a row, answered or not, so a chart and its table always list all five.
areas AS (
    SELECT * FROM (VALUES ('NW', 1), ('NE', 2), ('SW', 3), ('SE', 4), ('County', 5))
        AS area(quadrant, position)
),
totals AS (
    SELECT areas.quadrant, areas.position,
           coalesce(c.met, 0)::BIGINT AS met,
           coalesce(c.partially_met, 0)::BIGINT AS partially_met,
           coalesce(c.not_met, 0)::BIGINT AS not_met,
           coalesce(c.not_applicable, 0)::BIGINT AS not_applicable
    FROM areas
    LEFT JOIN counted AS c USING (quadrant)
)
-- Shares of all answers, Not applicable included, so the four add up to 1 (NULL without answers).
SELECT $theme AS theme_id, $round AS round_id, quadrant,
       met, partially_met, not_met, not_applicable,
       met + partially_met + not_met + not_applicable AS answers,
       met / nullif(met + partially_met + not_met + not_applicable, 0) AS pct_met,
       partially_met / nullif(met + partially_met + not_met + not_applicable, 0)
           AS pct_partially_met,
       not_met / nullif(met + partially_met + not_met + not_applicable, 0) AS pct_not_met,
       not_applicable / nullif(met + partially_met + not_met + not_applicable, 0)
           AS pct_not_applicable
FROM totals
ORDER BY position
