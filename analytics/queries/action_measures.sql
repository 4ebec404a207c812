-- grain: action x round: applicable answers and Met over the action's linked questions; params: $theme_rounds (list of 'theme|round')
WITH linked AS (
    SELECT action_id, theme_id, unnest(question_ids) AS question_id FROM actions
)
SELECT l.action_id, r.round_id,
       count(*) FILTER (WHERE r.response <> 'Not applicable') AS n,
       count(*) FILTER (WHERE r.response = 'Met') AS met
FROM linked AS l
JOIN responses AS r ON r.theme_id = l.theme_id AND r.question_id = l.question_id
WHERE list_contains($theme_rounds::VARCHAR[], r.theme_id || '|' || r.round_id)
GROUP BY ALL
