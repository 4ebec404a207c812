"""A real browser downloads chart images through the dashboard's own buttons, one after another
(the server's long-lived renderer), and gets the command line's image of the same chart."""

from __future__ import annotations

import shutil
import threading
import time

from browser_helpers import (
    APP_TIMEOUT_MS,
    BROWSER_MARKS,
    assert_no_exception,
    dashboard,
    wait_for_charts,
    wait_until_idle,
)
from image_compare import (
    cli_export_command,
    normalised_svg,
    pixel_difference,
    run_cli_exports,
    y_tick_positions,
)

from analytics.charts import TEXT_COLOUR

pytestmark = BROWSER_MARKS

THEME = "permanency"
QUADRANT = "NE"
# In the order clicked: the first draws the server's first image, the others are later ones.
DOWNLOADS = (  # button key, chart, format
    ("qc", "quadrant_comparison", "png"),
    ("ff", "finding_frequency", "png"),
    ("ff", "finding_frequency", "svg"),
)
DOWNLOAD_TIMEOUT_MS = 120_000  # the first image starts the server's chromium
# What a person reads on screen: tick labels, axis title, legend.
SCREEN_TEXT = ".ytick text, .xtick text, .g-xtitle text, .legendtext"


def _rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def _run_collecting(commands: list[list[str]], failures: list[BaseException]) -> None:
    try:
        run_cli_exports(commands)
    except BaseException as error:  # reported by the test's own thread
        failures.append(error)


def test_downloaded_images_equal_the_command_lines(sample_dir, tmp_path, chromium_browser):
    # Exports are recorded in the store's audit trail: the dashboard and the command line each
    # get a copy of the sample store, so neither sees the other's record.
    data_dir, cli_data_dir = tmp_path / "data", tmp_path / "cli-data"
    shutil.copytree(sample_dir, data_dir)
    shutil.copytree(sample_dir, cli_data_dir)
    # The command line's images are made meanwhile (most of the browser's time is waiting).
    commands = [
        cli_export_command(
            cli_data_dir, tmp_path / f"cli-{chart}.{fmt}", chart, fmt, THEME, (QUADRANT,)
        )
        for _, chart, fmt in DOWNLOADS
    ]
    failures: list[BaseException] = []
    exports = threading.Thread(target=_run_collecting, args=(commands, failures))
    started = time.monotonic()
    exports.start()
    with dashboard(data_dir) as url:
        page = chromium_browser.new_page(
            viewport={"width": 1440, "height": 1000}, accept_downloads=True
        )
        page.goto(f"{url}/{THEME}?quadrant={QUADRANT}")
        wait_until_idle(page)
        assert_no_exception(page, THEME)
        # Streamlit loads its chart component lazily: wait for a drawn chart, then for all.
        page.wait_for_selector(".ytick text", state="attached", timeout=APP_TIMEOUT_MS)
        wait_for_charts(page)
        # Chart text on screen is the charts' own near-black, not Streamlit's grey.
        fills = page.locator(SCREEN_TEXT).evaluate_all(
            "texts => [...new Set(texts.map(t => getComputedStyle(t).fill))]"
        )
        assert fills == [_rgb(TEXT_COLOUR)]
        downloaded = {}
        for key, chart, fmt in DOWNLOADS:
            button = (
                page.locator(f".st-key-dl_{THEME}_{key}_{fmt}")
                .get_by_role("button", name=fmt.upper())
                .filter(visible=True)
            )
            with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as download:
                button.click()
            assert download.value.suggested_filename.endswith(f".{fmt}")
            assert QUADRANT in download.value.suggested_filename  # the page's filter came along
            downloaded[chart, fmt] = download.value.path().read_bytes()
            wait_until_idle(page)
            assert_no_exception(page, f"{chart} {fmt}")
    browser_seconds = time.monotonic() - started

    exports.join()
    assert not failures, failures
    for _, chart, fmt in DOWNLOADS:
        fresh = (tmp_path / f"cli-{chart}.{fmt}").read_bytes()
        ours = downloaded[chart, fmt]
        if fmt == "png":
            ours_size, fresh_size, largest, differing = pixel_difference(ours, fresh)
            assert (ours_size, largest, differing) == (fresh_size, 0, 0), chart
        else:
            assert normalised_svg(ours) == normalised_svg(fresh), chart
            assert min(y_tick_positions(ours)) > 100  # the row labels are on the image
    assert browser_seconds < 240
