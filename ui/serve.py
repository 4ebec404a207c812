"""Start the dashboard: `python -m ui.serve [streamlit run options]` (what scripts/run.sh runs).

It runs `streamlit run asgi.py`: app.py under st.App, with a middleware that serves downloads
only to the signed-in when sign-in is on (ui/file_access.py).

A download button's file is made when clicked and is referenced by no session, so Streamlit
deletes it at the second end of any session's script run. On a busy server (ten people) two runs
can end before the browser fetches the file, and the download fails. We keep such files for
DOWNLOAD_GRACE_S after they are first found unreferenced.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from streamlit.runtime import media_file_manager
from streamlit.web import cli

# app.py with our middleware: `streamlit run` finds the st.App in it and serves that.
ASGI_APP = Path(__file__).resolve().parent.parent / "asgi.py"
DOWNLOAD_GRACE_S = 120.0


class GracefulFileMetadata(media_file_manager.MediaFileMetadata):
    """A file counts as marked for deletion only DOWNLOAD_GRACE_S after it was first marked."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._marked_at: float | None = None

    @property
    def is_marked_for_delete(self) -> bool:
        marked_at = self._marked_at
        return marked_at is not None and time.monotonic() - marked_at >= DOWNLOAD_GRACE_S

    def mark_for_delete(self) -> None:
        if self._marked_at is None:
            self._marked_at = time.monotonic()


def keep_downloads_for_a_grace_period() -> None:
    """Make the media file manager create GracefulFileMetadata (see the module's docstring)."""
    media_file_manager.MediaFileMetadata = GracefulFileMetadata


def refuse_a_pages_folder(root: Path = ASGI_APP.parent) -> None:
    """Stop with a message if a folder pages/ sits beside the app. Streamlit takes one for its
    legacy multipage mode, and a first visitor's deep link then shows "Page not found". The
    pages live in app_pages/: a pages/ folder is left over from copying a new version over an
    old one."""
    folder = root / "pages"
    if folder.exists():
        raise SystemExit(
            f"The dashboard did not start: {folder} is left over from an older version (the "
            "pages are in app_pages/ now), and Streamlit would take it for its own multipage "
            "mode. Remove that folder and start again."
        )


def main(options: list[str]) -> None:
    """Run `streamlit run asgi.py` with `options` (e.g. --server.port 8501)."""
    refuse_a_pages_folder()
    keep_downloads_for_a_grace_period()
    sys.argv = ["streamlit", "run", str(ASGI_APP), *options]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
