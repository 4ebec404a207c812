"""The performance benchmark, a tool at the edge: it measures the engine (queries, imports, the
slide pack) and, in child processes, the dashboard (pages, cold start, memory), so it may reach
every layer while no layer reaches it.

`python -m benchmark --responses N --json PATH` (`python -m analytics bench` hands over to it).
`measure` holds what is measured and how, `pages` the AppTest page runs.
"""
