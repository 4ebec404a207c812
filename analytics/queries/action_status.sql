-- grain: action, with RAG against $as_of; params: $as_of, $due_soon_days
SELECT action_id, theme_id, kind, text, outcome, owner, due_date, status, question_ids,
       CASE
           WHEN status = 'complete' THEN 'Complete'
           WHEN due_date IS NULL THEN 'No due date'
           WHEN due_date < $as_of THEN 'Overdue'
           WHEN due_date <= $as_of + $due_soon_days::INTEGER THEN 'Due soon'
           ELSE 'On track'
       END AS rag,
       CASE WHEN status <> 'complete' AND due_date < $as_of THEN $as_of - due_date END
           AS days_overdue
FROM actions
ORDER BY theme_id, action_id
