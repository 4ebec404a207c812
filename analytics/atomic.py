"""Write a file the user asked for (--out) whole or not at all.

The store needs nothing of this kind: DuckLake commits each change as one snapshot.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_file(path: Path, data: bytes) -> None:
    """Write a whole file or none: into a hidden sibling in the same folder, flushed, then
    renamed over `path`. On failure (a full disk) the sibling is removed, `path` is untouched
    and the error names `path`."""
    target = Path(path).resolve()
    partial = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(path)) from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
