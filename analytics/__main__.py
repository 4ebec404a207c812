"""Command line: python -m analytics <command> (the engine without a browser)."""

from __future__ import annotations

from analytics.cli import main

raise SystemExit(main())
