-- grain: theme x round holding results (oldest first per theme), with how completely its latest import answered it and whether it is held back; params: $statuses (round statuses with results), $threshold (share of standards answered for a complete round)
WITH checked AS (  -- the latest import of each round (undone imports' rows are gone with their files)
    SELECT theme_id, round_id, import_id, cases, standards, expected, answered
    FROM round_completeness
    QUALIFY row_number() OVER (PARTITION BY theme_id, round_id
                               ORDER BY TRY_CAST(substr(import_id, 5) AS BIGINT) DESC NULLS LAST,
                                        import_id DESC) = 1
),
accepted AS (  -- the first acceptance of each import's round
    SELECT theme_id, round_id, import_id,
           arg_min(accepted_by, accepted_at) AS accepted_by, min(accepted_at) AS accepted_at
    FROM round_acceptances
    GROUP BY ALL
)
SELECT r.theme_id, r.round_id, r.label, r.status, r.start_date, r.end_date,
       c.import_id, c.cases, c.standards, c.expected, c.answered,
       CASE WHEN c.expected > 0 THEN c.answered / c.expected END AS answered_share,
       coalesce(c.answered >= $threshold * c.expected, true) AS complete,
       a.accepted_by, a.accepted_at,
       NOT coalesce(c.answered >= $threshold * c.expected, true) AND a.accepted_at IS NULL AS held
FROM rounds AS r
LEFT JOIN checked AS c USING (theme_id, round_id)
LEFT JOIN accepted AS a
    ON a.theme_id = c.theme_id AND a.round_id = c.round_id AND a.import_id = c.import_id
WHERE list_contains($statuses::VARCHAR[], r.status)
ORDER BY r.theme_id, r.end_date, r.round_id
