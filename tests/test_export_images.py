"""Chart images from kaleido and Debian's chromium: PNG and SVG decode with the expected size."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import plotly.graph_objects as go
import pytest
from fixtures_export import image_server  # noqa: F401

from analytics import images
from analytics.export import view_bytes
from analytics.views import chart_view


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_size(data: bytes) -> tuple[float, float]:
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return float(root.get("width")), float(root.get("height"))


def small_figure() -> go.Figure:
    return go.Figure(go.Bar(x=["NW", "NE"], y=[3, 5]), layout={"height": 300})


def test_png_has_the_requested_size(image_server):  # noqa: F811
    data = images.figure_image(small_figure(), "png", width=400, height=250, scale=1)
    assert png_size(data) == (400, 250)


def test_png_defaults_to_1100_wide_the_figure_height_and_scale_2(image_server):  # noqa: F811
    assert png_size(images.figure_image(small_figure())) == (2200, 600)


def test_svg_root_has_the_expected_size(image_server):  # noqa: F811
    data = images.figure_image(small_figure(), "svg", width=640, scale=1)
    assert svg_size(data) == (640, 300)


def test_chart_exports_are_the_chart_at_1100_wide(image_server, tiny):  # noqa: F811
    view = chart_view(tiny, "quadrant_comparison", "alpha")
    height = int(view.figure.layout.height)
    assert png_size(view_bytes(tiny, view, "png")) == (2200, 2 * height)
    assert svg_size(view_bytes(tiny, view, "svg")) == (1100, height)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="png, svg"):
        images.figure_image(small_figure(), "gif")


def test_availability_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    ok, reason = images.image_export_available()
    assert not ok and "BROWSER_PATH" in reason
    monkeypatch.delenv("BROWSER_PATH")
    monkeypatch.setenv("PATH", str(tmp_path))
    ok, reason = images.image_export_available()
    assert (ok, reason) == (False, images.NO_BROWSER_REASON)
    assert "apt-get install chromium" in reason


def test_concurrent_exports_each_get_their_own_image(image_server):  # noqa: F811
    # kaleido's own sync server can hand one thread another's result; ours must not.
    from concurrent.futures import ThreadPoolExecutor

    widths = [300, 340, 380, 420]
    with ThreadPoolExecutor(4) as pool:
        sizes = list(
            pool.map(lambda w: png_size(images.figure_image(small_figure(), width=w, scale=1)),
                     widths)
        )  # fmt: skip
    assert sizes == [(w, 300) for w in widths]
