-- grain: quote; params: $theme (NULL = all), $round (NULL = all), $quadrants (empty = all; county-wide quotes always shown)
SELECT quote_id, theme_id, round_id, quadrant, role, text
FROM quotes
WHERE ($theme IS NULL OR theme_id = $theme)
  AND ($round IS NULL OR round_id IS NULL OR round_id = $round)
  AND (len($quadrants::VARCHAR[]) = 0 OR quadrant IS NULL
       OR list_contains($quadrants::VARCHAR[], quadrant))
ORDER BY theme_id, quote_id
