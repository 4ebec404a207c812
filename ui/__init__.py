"""The Streamlit layer's shared helpers: filter bar, cached analytics calls, chart rendering."""
