-- grain: action, with RAG against $as_of (in the order $rag_order) and pct_met of its linked questions before and after, within the chosen quadrants and teams; params: $as_of, $due_soon_days, $before (list of 'theme|round': first audited round of themes with two or more), $after (list of 'theme|round': latest audited round), $theme (NULL = all), $owners, $statuses, $quadrants, $teams (empty = all)
WITH linked AS (
    SELECT action_id, theme_id, unnest(question_ids) AS question_id FROM actions
),
measured AS (
    SELECT l.action_id, r.theme_id || '|' || r.round_id AS theme_round, r.round_id,
           coalesce(sum(r.answers) FILTER (WHERE r.response <> 'Not applicable'), 0)::BIGINT AS n,
           coalesce(sum(r.answers) FILTER (WHERE r.response = 'Met'), 0)::BIGINT AS met
    FROM linked AS l
    JOIN response_counts AS r ON r.theme_id = l.theme_id AND r.question_id = l.question_id
    WHERE (list_contains($before::VARCHAR[], r.theme_id || '|' || r.round_id)
           OR list_contains($after::VARCHAR[], r.theme_id || '|' || r.round_id))
      AND (len($quadrants::VARCHAR[]) = 0 OR list_contains($quadrants::VARCHAR[], r.quadrant))
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], r.team))
    GROUP BY ALL
),
rated AS (
    SELECT a.*,
           CASE
               WHEN a.status = 'complete' THEN 'Complete'
               WHEN a.due_date IS NULL THEN 'No due date'
               WHEN a.due_date < $as_of THEN 'Overdue'
               WHEN a.status = 'delayed' THEN 'Delayed'
               WHEN a.due_date <= $as_of + $due_soon_days::INTEGER THEN 'Due soon'
               ELSE 'On track'
           END AS rag,
           CASE WHEN a.status <> 'complete' AND a.due_date < $as_of
                THEN $as_of - a.due_date END AS days_overdue
    FROM actions AS a
    WHERE ($theme IS NULL OR a.theme_id = $theme)
      AND (len($owners::VARCHAR[]) = 0 OR list_contains($owners::VARCHAR[], a.owner))
      AND (len($statuses::VARCHAR[]) = 0 OR list_contains($statuses::VARCHAR[], a.status))
)
SELECT a.action_id, a.theme_id, a.kind, a.text, a.outcome, a.owner, a.due_date, a.status,
       a.question_ids, a.rag, a.days_overdue,
       b.round_id AS round_before, b.n AS n_before, b.met / nullif(b.n, 0) AS pct_met_before,
       f.round_id AS round_after, f.n AS n_after, f.met / nullif(f.n, 0) AS pct_met_after
FROM rated AS a
LEFT JOIN measured AS b
    ON b.action_id = a.action_id AND list_contains($before::VARCHAR[], b.theme_round)
LEFT JOIN measured AS f
    ON f.action_id = a.action_id AND list_contains($after::VARCHAR[], f.theme_round)
ORDER BY list_position($rag_order::VARCHAR[], a.rag),
         a.due_date NULLS LAST, a.action_id
