"""The hostile-input battery's case server: one interpreter with the engine preloaded, forking a
child per case, so each case runs in its own process without paying Python's start and the
pandas import again (tests/analytics/ingest/test_hostile_inputs.py starts it; one JSON request and answer a line).

The child runs one way in (the command line, the Data page's importer, the tracker path, a mapping
upload, a page's URL) and reports its outcome; the server measures the child: wall time, peak RSS
(/proc/<pid>/status VmHWM, reset at the fork to the pages it inherits) and kills it past the time
or memory cap, so that a stalled case fails fast instead of stalling the battery.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

POLL_S = 0.02


def _status_kb(pid: int | str, field: str) -> int:
    """Return a /proc status field in kB (VmRSS, VmHWM), 0 once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def preload() -> None:
    """Import what every case needs, once, in the server (never opening a store: fork-safe)."""
    import duckdb  # noqa: F401
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import streamlit.testing.v1  # noqa: F401 - the URL cases' AppTest


# --- the ways in, run in the child ----------------------------------------------------------


def _problems(frame) -> list[dict[str, object]]:
    """Return a problem table as plain records (JSON-safe)."""
    return [
        {k: (None if v != v else str(v)) for k, v in r.items()} for r in frame.to_dict("records")
    ]


def way_cli(action: dict) -> dict:
    """Run `python -m analytics ARGV` as main(argv); a non-zero exit with a message is refused."""
    from analytics.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(action["argv"])
        except SystemExit as stop:  # argparse's own refusals exit 2
            code = stop.code if isinstance(stop.code, int) else 2
    text = out.getvalue() + err.getvalue()
    return {
        "outcome": "handled" if code == 0 else "refused",
        "exit_code": code,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "message": text,
    }


def _sources(paths: list[str]):
    """The Data page's sources: an upload's name and bytes (ui/importing.py: sources)."""
    from analytics.ingest import Source

    return [Source(Path(p).name, Path(p).read_bytes()) for p in paths]


def _actor():
    from analytics.access import Actor

    return Actor("qa.analyst@council.example", "QA analyst", "analyst", signed_in=True)


def way_api(action: dict) -> dict:
    """Import (or preview) uploaded files as the Data page does: ingest.import_files / preview."""
    from analytics import ingest
    from analytics.errors import AuditDataError, ImportRefused

    files = _sources(action["files"])
    tracker = None
    if action.get("mapping"):
        from analytics.ingest.trackers.model import parse_mapping

        mapping = parse_mapping(Path(action["mapping"]).read_bytes(), Path(action["mapping"]).name)
        tracker = ingest.TrackerImport(mapping, action.get("round_id"))
    options = {"tracker": tracker} if tracker is not None else {}
    try:
        if action.get("preview"):
            result = ingest.preview(action["store"], files, **options)
            if not result.ok:
                return {"outcome": "refused", "problems": _problems(result.problems),
                        "message": " | ".join(str(r) for r in result.problems["rule"])}  # fmt: skip
            return {"outcome": "handled", "message": f"preview ok: {result.counts.to_dict('records')}",
                    "ignored": list(result.ignored_columns) + list(result.ignored_sheets)}  # fmt: skip
        done = ingest.import_files(action["store"], files, actor=_actor(), **options)
    except ImportRefused as refused:
        problems = _problems(refused.problems)
        return {"outcome": "refused", "problems": problems,
                "message": str(refused) + " | " + " | ".join(
                    f"{p['sheet']}:{p['row']}:{p['column']}: {p['rule']}" for p in problems)}  # fmt: skip
    except AuditDataError as error:  # the page shows these as an error box
        return {"outcome": "refused", "message": str(error)}
    ignored = list(done.preview.ignored_columns) + list(done.preview.ignored_sheets)
    return {"outcome": "handled", "message": done.message, "ignored": ignored,
            "changed": done.changed}  # fmt: skip


def way_tracker(action: dict) -> dict:
    """The Data page's tracker path: read, propose a mapping, import with it."""
    from analytics import ingest
    from analytics.catalogue import catalogue_table
    from analytics.errors import AuditDataError, ImportRefused
    from analytics.ingest.trackers import layout, propose

    files = _sources(action["files"])
    read = layout.read_trackers(files, ingest.DEFAULT_MAX_MB)
    if not read.sheets:
        rules = _problems(read.problems.frame({})) if read.problems else []
        return {"outcome": "refused", "problems": rules,
                "message": "no sheet read: " + " | ".join(str(p.get("rule")) for p in rules)
                + " | " + " | ".join(read.ignored_sheets)}  # fmt: skip
    questions = catalogue_table("questions")
    questions = questions[questions["theme_id"] == action["theme"]][["question_id", "text"]]
    proposal = propose.propose(read, questions, action["theme"], "hostile tracker",
                               quadrant=action.get("quadrant"))  # fmt: skip
    note = " | ".join(f"{p['sheet']}:{p['column']}: {p['rule']}"
                      for p in _problems(proposal.problems))  # fmt: skip
    columns = proposal.columns
    refused_columns = columns[columns["maps_to"] == propose.REFUSED]
    if len(refused_columns):  # the page lists them: remove them from the tracker first
        return {"outcome": "refused", "message": note + " | refused columns: " + " | ".join(
            f"{r.sheet}: {r.header}: {r.why}" for r in refused_columns.itertuples())}  # fmt: skip
    if proposal.mapping is None or not proposal.mapping.layouts:
        return {"outcome": "refused", "message": "nothing to map: " + note + " | "
                + " | ".join(proposal.ignored_sheets)}  # fmt: skip
    tracker = ingest.TrackerImport(proposal.mapping, action.get("round_id"))
    try:
        done = ingest.import_files(action["store"], files, actor=_actor(), tracker=tracker)
    except ImportRefused as refused:
        problems = _problems(refused.problems)
        return {"outcome": "refused", "problems": problems, "message": note + " | " + " | ".join(
            f"{p['sheet']}:{p['row']}:{p['column']}: {p['rule']}" for p in problems)}  # fmt: skip
    except AuditDataError as error:
        return {"outcome": "refused", "message": note + " | " + str(error)}
    ignored = list(done.preview.ignored_columns) + list(done.preview.ignored_sheets)
    return {"outcome": "handled", "message": note + " | " + done.message, "ignored": ignored}


def way_mapping(action: dict) -> dict:
    """A mapping file uploaded on the Data page (ui/tracker_mapping.py: parse_mapping)."""
    from analytics.ingest.trackers.model import MappingRefused, parse_mapping

    try:
        mapping = parse_mapping(Path(action["mapping"]).read_bytes(), Path(action["mapping"]).name)
    except MappingRefused as refused:
        return {"outcome": "refused", "message": str(refused)}
    return {"outcome": "handled", "message": f"mapping {mapping.name!r} accepted"}


def way_url(action: dict) -> dict:
    """Open a page with URL query params through AppTest; an exception box is a failure."""
    os.environ["AUDIT_DATA_DIR"] = action["store"]
    os.chdir(action["root"])
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(action["root"]) / "app.py"), default_timeout=30)
    if action.get("page"):  # the link opens that page itself, as /<theme>?... does
        at.run()  # (AppTest knows the pages st.navigation registers only after a run)
        at.switch_page(action["page"])
    for name, value in action["params"].items():
        at.query_params[name] = value
    at.run()
    shown = [str(e.value) for kind in ("error", "warning", "info") for e in at.get(kind)]
    exceptions = [str(e.value) for e in at.exception]
    return {"outcome": "handled" if not exceptions else "crashed",
            "message": " | ".join(dict.fromkeys(shown)), "exceptions": exceptions,
            "traceback": "\n".join(exceptions)}  # fmt: skip


WAYS = {"cli": way_cli, "api": way_api, "tracker": way_tracker, "mapping": way_mapping,
        "url": way_url}  # fmt: skip


def _child(action: dict, write_fd: int) -> None:
    """Run one case in the forked child; write its JSON result to the pipe and exit."""
    with contextlib.suppress(OSError):  # peak RSS from here on: the pages inherited, then ours
        Path("/proc/self/clear_refs").write_text("5")
    inherited_mb = _status_kb("self", "VmRSS") / 1024
    started = time.perf_counter()
    try:
        result = WAYS[action["way"]](action)
    except BaseException:
        result = {"outcome": "crashed", "message": "", "traceback": traceback.format_exc()}
    result["seconds"] = time.perf_counter() - started
    times = os.times()  # a forked child's own CPU time starts at zero
    result["cpu_seconds"] = times.user + times.system
    result["peak_mb"] = _status_kb("self", "VmHWM") / 1024
    result["inherited_mb"] = inherited_mb
    text = json.dumps(result, default=str).encode()
    with os.fdopen(write_fd, "wb") as pipe:
        pipe.write(text)
    os._exit(0)


def run_case(action: dict, time_cap_s: float, memory_cap_mb: float) -> dict:
    """Fork a child for one case; return its result with what the server measured."""
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(action, write_fd)
    os.close(write_fd)
    started = time.perf_counter()
    chunks: list[bytes] = []
    killed = None
    peak_kb = 0
    os.set_blocking(read_fd, False)
    while True:
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(read_fd, 1 << 16):
                chunks.append(chunk)
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        peak_kb = max(peak_kb, _status_kb(pid, "VmHWM"))
        elapsed = time.perf_counter() - started
        if elapsed > time_cap_s:
            killed = f"killed after {time_cap_s:.0f} s (still running)"
        elif _status_kb(pid, "VmRSS") / 1024 > memory_cap_mb:
            killed = f"killed at {memory_cap_mb:.0f} MB resident (still growing)"
        if killed:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            break
        time.sleep(POLL_S)
    with contextlib.suppress(BlockingIOError, OSError):
        while chunk := os.read(read_fd, 1 << 16):
            chunks.append(chunk)
    os.close(read_fd)
    wall = time.perf_counter() - started
    if killed or not chunks:
        return {"outcome": "killed", "message": killed or "the child died without a result",
                "traceback": "", "seconds": wall, "cpu_seconds": wall, "peak_mb": peak_kb / 1024,
                "wall_seconds": wall}  # fmt: skip

    result = json.loads(b"".join(chunks))
    result["wall_seconds"] = wall
    result["peak_mb"] = max(result["peak_mb"], peak_kb / 1024)
    return result


def serve() -> None:
    """Answer one case per line on stdin with one JSON line on stdout until stdin closes."""
    out = sys.stdout
    sys.stdout = sys.stderr  # anything else printed must not corrupt the protocol
    preload()
    out.write(json.dumps({"ready": True, "baseline_mb": _status_kb("self", "VmRSS") / 1024}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        result = run_case(request["action"], request["time_cap_s"], request["memory_cap_mb"])
        out.write(json.dumps(result, default=str) + "\n")
        out.flush()


if __name__ == "__main__":
    serve()
