-- grain: theme x round: cases and responses loaded; params: none
SELECT r.theme_id, r.round_id, r.label, r.status, r.start_date, r.end_date,
       coalesce(c.cases, 0) AS cases, coalesce(s.responses, 0) AS responses
FROM rounds AS r
LEFT JOIN (SELECT theme_id, round_id, count(*) AS cases FROM cases GROUP BY ALL) AS c
    USING (theme_id, round_id)
LEFT JOIN (SELECT theme_id, round_id, count(*) AS responses FROM responses GROUP BY ALL) AS s
    USING (theme_id, round_id)
ORDER BY r.theme_id, r.start_date
