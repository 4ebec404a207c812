-- grain: question of one theme: applicable answers and Met in two rounds, within the selection; params: $theme, $round_from, $round_to, $quadrants (empty = county), $teams (empty = all)
WITH counted AS (
    SELECT question_id, round_id,
           coalesce(sum(answers) FILTER (WHERE response <> 'Not applicable'), 0)::BIGINT AS n,
           coalesce(sum(answers) FILTER (WHERE response = 'Met'), 0)::BIGINT AS met
    FROM response_counts
    WHERE theme_id = $theme AND round_id IN ($round_from, $round_to)
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], team))
    GROUP BY ALL
)
SELECT q.question_id, q.text, q.category, $round_from AS round_from, $round_to AS round_to,
       coalesce(a.n, 0)::BIGINT AS n_from, coalesce(a.met, 0)::BIGINT AS met_from,
       a.met / nullif(a.n, 0) AS pct_met_from,
       coalesce(b.n, 0)::BIGINT AS n_to, coalesce(b.met, 0)::BIGINT AS met_to,
       b.met / nullif(b.n, 0) AS pct_met_to
FROM questions AS q
LEFT JOIN counted AS a ON a.question_id = q.question_id AND a.round_id = $round_from
LEFT JOIN counted AS b ON b.question_id = q.question_id AND b.round_id = $round_to
WHERE q.theme_id = $theme AND (a.question_id IS NOT NULL OR b.question_id IS NOT NULL)
ORDER BY q.question_id
