"""Comparing chart images: the command line's (a fresh process) against another's."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parent.parent
CLI_TIMEOUT_S = 180


def cli_export_command(
    data_dir: Path, out: Path, chart: str, fmt: str, theme: str | None = None,
    quadrants: Sequence[str] = (),
) -> list[str]:  # fmt: skip
    """Return `python -m analytics export` for one chart image (a fresh process, fresh browser)."""
    command = [sys.executable, "-m", "analytics", "export", "--data-dir", str(data_dir),
               "--chart", chart, "--format", fmt, "--out", str(out)]  # fmt: skip
    if theme is not None:
        command += ["--theme", theme]
    if quadrants:
        command += ["--quadrant", *quadrants]
    return command


def run_cli_exports(commands: list[list[str]]) -> None:
    """Run the command line exports two at a time (each starts its own chromium)."""
    for start in range(0, len(commands), 2):
        running = [
            subprocess.Popen(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for c in commands[start : start + 2]
        ]
        for command, process in zip(commands[start : start + 2], running, strict=True):
            output, _ = process.communicate(timeout=CLI_TIMEOUT_S)
            assert process.returncode == 0, f"{' '.join(command)}:\n{output.decode()}"


def pixel_difference(a: bytes, b: bytes) -> tuple[tuple[int, int], tuple[int, int], int, int]:
    """Return both PNGs' sizes, the largest difference of any channel of any pixel (0 to 255),
    and how many pixels differ at all."""
    first, second = (Image.open(io.BytesIO(data)).convert("RGBA") for data in (a, b))
    if first.size != second.size:
        return first.size, second.size, 255, first.width * first.height
    difference = np.asarray(ImageChops.difference(first, second))
    return first.size, second.size, int(difference.max()), int(difference.any(axis=2).sum())


def normalised_svg(data: bytes) -> str:
    """Return the SVG text with plotly's random ids made constant: the figure's (in its clip
    paths, defs and legend), each colour bar's and each scatter trace's (in classes and a
    gradient's id), replaced in order of appearance by R0, R1, ...: the only part of two
    drawings of one figure that may differ."""
    text = data.decode()
    figure = re.findall(r'id="defs-([0-9a-f]+)"', text)
    assert figure, "no plotly defs id in the SVG"
    traces = re.findall(
        r'class="cb([0-9a-f]+) colorbar"|class="trace [a-z]+ trace([0-9a-f]+)"', text
    )
    found = figure + [colour_bar or trace for colour_bar, trace in traces]
    for n, random_id in enumerate(dict.fromkeys(found)):
        text = text.replace(random_id, f"R{n}")
    return text


def y_tick_positions(svg: bytes) -> list[float]:
    """Return the x position, in the image, of every y-axis tick label's anchor point."""
    text = svg.decode()
    return [float(x) for x in re.findall(r'<g class="ytick"><text[^>]*? x="([-0-9.]+)"', text)]
