"""Static chart images (PNG, SVG) made on the server by kaleido driving Debian's chromium.

One browser is started on the first export and kept for the life of the process, so every export
after the first takes a fraction of a second. Nothing here ever downloads a browser.

Why not `kaleido.start_sync_server()`: its `call_function` matches results to callers by queue
order, so two threads exporting at once can receive each other's image, and if the browser fails
to start its worker thread dies and every later call waits forever. This module keeps the same
design (one long-lived Kaleido on its own event-loop thread) over kaleido's public async API, with
a timeout on every call and a restart when the browser has gone.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import html
import importlib.util
import logging
import os
import shutil
import struct
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

import plotly.graph_objects as go
import plotly.io as pio

from analytics.errors import AuditDataError

FORMATS: tuple[str, ...] = ("png", "svg")
DEFAULT_WIDTH = 1100
DEFAULT_HEIGHT = 500
# Two tabs of one browser render two figures at once (a pack's images overlap); more buys
# little on a two-core server and costs a renderer process each.
TABS = 2
START_TIMEOUT_SECONDS = 60.0
RENDER_TIMEOUT_SECONDS = 90.0
BROWSER_NAMES: tuple[str, ...] = ("chromium", "chromium-browser")
NO_BROWSER_REASON = "PNG/SVG export needs Debian's chromium: apt-get install chromium"

_T = TypeVar("_T")


class ImageExportError(AuditDataError):
    """The image could not be made (no browser, the browser failed, or a timeout)."""


def chromium_path() -> str | None:
    """Return the browser kaleido will drive: $BROWSER_PATH if set, else chromium on PATH."""
    explicit = os.environ.get("BROWSER_PATH")
    if explicit:
        return explicit if os.path.isfile(explicit) and os.access(explicit, os.X_OK) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def image_export_available() -> tuple[bool, str]:
    """Return (True, browser path) when PNG/SVG export can run, else (False, a plain reason)."""
    if importlib.util.find_spec("kaleido") is None:
        return False, "PNG/SVG export needs the kaleido package: pip install kaleido"
    explicit = os.environ.get("BROWSER_PATH")
    path = chromium_path()
    if path is None and explicit:
        return False, f"PNG/SVG export: no browser at BROWSER_PATH={explicit}"
    if path is None:
        return False, NO_BROWSER_REASON
    return True, path


class _Server:
    """One Kaleido (one chromium) on a private event-loop thread; calls may come from any thread."""

    def __init__(self, browser: str):
        self.browser = browser
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="kaleido-server", daemon=True
        )
        self._thread.start()
        try:
            self._kaleido = self._call(self._open(), START_TIMEOUT_SECONDS)
        except BaseException:
            self._stop_loop()
            raise

    async def _open(self) -> Any:
        from kaleido import Kaleido

        # mathjax=False: no fetch from a CDN (the charts use no LaTeX), so it works offline.
        kaleido = Kaleido(path=self.browser, n=TABS, mathjax=False, timeout=RENDER_TIMEOUT_SECONDS)
        await kaleido.open()
        return kaleido

    def _call(self, coroutine: Any, timeout: float) -> Any:
        return _wait(asyncio.run_coroutine_threadsafe(coroutine, self._loop), timeout)

    def alive(self) -> bool:
        return self._thread.is_alive() and not self._loop.is_closed()

    def submit(self, figure: dict[str, Any], opts: dict[str, Any]) -> Future[bytes]:
        return asyncio.run_coroutine_threadsafe(
            self._kaleido.calc_fig(figure, opts=opts), self._loop
        )

    def _stop_loop(self) -> None:
        async def cancel_the_rest() -> None:
            # Watchdogs and readers still pending would be reported as destroyed at exit.
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(cancel_the_rest(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()

    def close(self) -> None:
        # Best effort: the browser may already be gone. While it shuts down, choreographer logs
        # the half message it was reading as an error; that is noise, not a fault.
        pipe_log = logging.getLogger("choreographer.channels.pipe")
        level = pipe_log.level
        pipe_log.setLevel(logging.CRITICAL)
        try:
            with contextlib.suppress(Exception):
                self._call(self._kaleido.close(), 15)
            self._stop_loop()
        finally:
            pipe_log.setLevel(level)


def _wait(future: Future[_T], timeout: float) -> _T:
    try:
        return future.result(timeout=timeout)
    except FutureTimeout as error:
        future.cancel()
        raise ImageExportError(f"The image export timed out after {timeout:.0f} s.") from error


_server: _Server | None = None
_server_lock = threading.Lock()


def _get_server() -> _Server:
    global _server
    with _server_lock:
        if _server is not None and _server.alive():
            return _server
        ok, reason = image_export_available()
        if not ok:
            raise ImageExportError(reason)
        try:
            _server = _Server(reason)
        except ImageExportError:
            raise
        except Exception as error:
            raise ImageExportError(f"Could not start chromium ({reason}): {error}") from error
        return _server


def stop_image_server() -> None:
    """Close the shared browser (it restarts on the next export)."""
    global _server
    with _server_lock:
        if _server is not None:
            _server.close()
            _server = None


atexit.register(stop_image_server)


def with_description(image: bytes, fmt: str, text: str) -> bytes:
    """Return the image with `text` in its metadata: a PNG's iTXt "Description" chunk (UTF-8,
    right after the header), an SVG's <metadata> element (first in the root). The pixels are
    unchanged: exports name the store snapshot they were made from this way. `text` must hold
    no control character XML cannot (analytics.export.text.xml_safe)."""
    if fmt == "png":
        header_end = 8 + 8 + 13 + 4  # signature, then the IHDR chunk (length, type, data, CRC)
        body = b"iTXt" + b"Description\x00\x00\x00\x00\x00" + text.encode("utf-8")
        chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
        return image[:header_end] + chunk + image[header_end:]
    if fmt == "svg":
        svg = image.decode("utf-8")
        start = svg.find("<svg")
        end = svg.find(">", start) + 1
        if start < 0 or end <= 0:
            raise ImageExportError("The SVG image has no <svg> element.")
        metadata = f"<metadata>{html.escape(text, quote=False)}</metadata>"
        return (svg[:end] + metadata + svg[end:]).encode("utf-8")
    raise ValueError(f"Unknown image format {fmt!r}. Allowed: {', '.join(FORMATS)}.")


def _browser_gone(error: BaseException) -> bool:
    from choreographer.errors import BrowserClosedError, BrowserFailedError, ChannelClosedError

    return isinstance(error, BrowserClosedError | BrowserFailedError | ChannelClosedError)


def _spec(
    figure: go.Figure, fmt: str, width: int | None, height: int | None, scale: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    if fmt not in FORMATS:
        raise ValueError(f"Unknown image format {fmt!r}. Allowed: {', '.join(FORMATS)}.")
    opts = {
        "format": fmt,
        "width": width or DEFAULT_WIDTH,
        "height": height or figure.layout.height or DEFAULT_HEIGHT,
        "scale": scale,
    }
    return _static(figure).to_dict(), opts


def _static(figure: go.Figure) -> go.Figure:
    """Return the figure as a process without Streamlit would have built it.

    plotly gives a new figure the process's default template, and `import streamlit` makes that
    Streamlit's own: placeholder colours that only Streamlit's web page replaces, and no
    automargin, so long axis labels fall off the image's left edge. The chart builders set their
    own template; any other figure (a notice, a test's) is drawn with plotly's default here.
    """
    if "streamlit" not in pio.templates or figure.layout.template != pio.templates["streamlit"]:
        return figure
    static = go.Figure(figure)
    static.layout.template = pio.templates["plotly"]
    return static


def _render_again(server: _Server, spec: dict[str, Any], opts: dict[str, Any]) -> bytes:
    # The browser died (killed, out of memory): start a fresh one and try once more.
    global _server
    with _server_lock:
        if _server is server:
            server.close()
            _server = None
    return _wait(_get_server().submit(spec, opts), RENDER_TIMEOUT_SECONDS + 5)


def figure_image(
    figure: go.Figure,
    fmt: str = "png",
    width: int | None = None,
    height: int | None = None,
    scale: float = 2,
) -> bytes:
    """Return the figure as PNG or SVG bytes (width default 1100, height the figure's own)."""
    return image_later(figure, fmt, width, height, scale)()


def image_later(
    figure: go.Figure,
    fmt: str = "png",
    width: int | None = None,
    height: int | None = None,
    scale: float = 2,
) -> Callable[[], bytes]:
    """Start rendering now and return a function that waits for the bytes (for pipelining)."""
    spec, opts = _spec(figure, fmt, width, height, scale)
    server = _get_server()
    future = server.submit(spec, opts)

    def result() -> bytes:
        try:
            return _wait(future, RENDER_TIMEOUT_SECONDS + 5)
        except Exception as error:
            if not _browser_gone(error):
                raise
            return _render_again(server, spec, opts)

    return result
