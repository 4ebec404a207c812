"""Chart images from kaleido and Debian's chromium: PNG and SVG decode with the expected size,
and the long-lived renderer's later images equal a fresh process's."""

from __future__ import annotations

import shutil
import struct
import time
import xml.etree.ElementTree as ET

import plotly.graph_objects as go
import pytest
from fixtures_export import image_server  # noqa: F401
from image_compare import (
    cli_export_command,
    normalised_svg,
    pixel_difference,
    run_cli_exports,
    y_tick_positions,
)

from analytics import images
from analytics.export import view_bytes
from analytics.images import FORMATS
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


# --- the long-lived renderer against a fresh process -----------------------------------------
# The dashboard draws every image through one long-lived renderer in a process that imported
# Streamlit (which swaps plotly's default template for its own); the command line draws one
# image per fresh process without Streamlit. The two must agree.
LATER_IMAGES = (  # chart, theme, quadrants, format: each command line export takes ~5 s
    ("category_matrix", None, (), "png"),  # heatmap
    ("category_matrix", None, (), "svg"),
    ("quadrant_comparison", "permanency", ("NE",), "png"),  # dot chart
    ("finding_frequency", "permanency", (), "svg"),  # bars
)


def test_later_images_of_the_long_lived_renderer_equal_a_fresh_process(
    sample_dir,
    tmp_path,
    image_server,  # noqa: F811
):
    import streamlit  # noqa: F401  (as in the dashboard: plotly's default template is now its own)

    from analytics.domain import Filters
    from analytics.export.formats import export_bytes
    from analytics.store import Store

    data_dir = tmp_path / "data"
    shutil.copytree(sample_dir, data_dir)  # the command line records its exports in the store
    commands = [
        cli_export_command(data_dir, tmp_path / f"cli-{i}.{fmt}", chart, fmt, theme, quadrants)
        for i, (chart, theme, quadrants, fmt) in enumerate(LATER_IMAGES)
    ]
    started = time.monotonic()
    run_cli_exports(commands)
    cli_seconds = time.monotonic() - started

    store = Store(data_dir)
    # A first image, so that every image compared below is a later one of this renderer.
    export_bytes(store, "png", "permanency", Filters(), "cohort_profile")
    for i, (chart, theme, quadrants, fmt) in enumerate(LATER_IMAGES):
        ours = export_bytes(store, fmt, theme, Filters(quadrants=quadrants), chart)
        fresh = (tmp_path / f"cli-{i}.{fmt}").read_bytes()
        where = f"{chart} {fmt} (image {i + 2} of this renderer)"
        if fmt == "png":
            ours_size, fresh_size, largest, differing = pixel_difference(ours, fresh)
            assert (ours_size, largest, differing) == (fresh_size, 0, 0), where
        else:
            assert normalised_svg(ours) == normalised_svg(fresh), where
            assert min(y_tick_positions(ours)) > 100, where  # next to the plot, not at x=9
    assert cli_seconds < 120


def test_a_figure_made_under_streamlits_template_is_drawn_as_without_it(image_server):  # noqa: F811
    import plotly.io as pio
    import streamlit  # noqa: F401

    assert pio.templates.default == "streamlit"
    labels = ["PERM-01 · Permanency planning meetings are managed effectively", "PERM-02 · Short"]
    made_here = go.Figure(go.Bar(x=[0.4, 0.6], y=labels, orientation="h"))
    made_without = go.Figure(go.Bar(x=[0.4, 0.6], y=labels, orientation="h"),
                             layout={"template": pio.templates["plotly"]})  # fmt: skip
    assert made_here.layout.template != made_without.layout.template
    for fmt in FORMATS:
        here = images.figure_image(made_here, fmt, width=600, height=300, scale=1)
        without = images.figure_image(made_without, fmt, width=600, height=300, scale=1)
        if fmt == "png":
            assert pixel_difference(here, without)[2:] == (0, 0)
        else:
            assert normalised_svg(here) == normalised_svg(without)
            assert min(y_tick_positions(here)) > 200  # automargin: the long label is on the image
