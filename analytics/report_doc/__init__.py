"""The thematic overview report (DOCX), drafted from the data like the seed report.

`build_report` is the one entry point; `findings` holds the text (testable without a document),
`wording` every phrase and the method in prose, `document` the Word layout. The command line's
`report-doc` is analytics/cli/report_doc.py.
"""

from __future__ import annotations

from analytics.report_doc.document import DOCX_MIME, ProgressCallback, build_report

__all__ = ["DOCX_MIME", "ProgressCallback", "build_report"]
