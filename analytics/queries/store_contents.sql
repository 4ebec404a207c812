-- grain: theme x round: cases and responses loaded; params: none
SELECT r.theme_id, r.round_id, r.label, r.status, r.start_date, r.end_date,
       coalesce(c.cases, 0)::BIGINT AS cases, coalesce(s.responses, 0)::BIGINT AS responses
FROM rounds AS r
LEFT JOIN (SELECT theme_id, round_id, sum(cases) AS cases FROM case_counts GROUP BY ALL) AS c
    USING (theme_id, round_id)
LEFT JOIN (SELECT theme_id, round_id, sum(answers) AS responses FROM response_counts
           GROUP BY ALL) AS s
    USING (theme_id, round_id)
ORDER BY r.theme_id, r.start_date
