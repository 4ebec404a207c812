"""Start the dashboard: `python -m ui.serve [streamlit run options]` (what scripts/run.sh runs).

Streamlit decides once per server process whether an app uses the legacy `pages/` folder mode:
with a folder named pages/ beside app.py it assumes so until app.py first calls st.navigation.
Until then a deep link such as /permanency?quadrant=NE, opened by a server's first visitor, gets
a "Page not found" dialog over the page. Our pages are registered with st.navigation only, so we
say so before the server starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(options: list[str]) -> None:
    """Run `streamlit run app.py` with `options` (e.g. --server.port 8501)."""
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *options]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
