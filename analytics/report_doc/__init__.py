"""The thematic overview report (DOCX), drafted from the data like the seed report.

`build_report` is the one entry point; `findings` holds the text (testable without a document),
`wording` every phrase and the method in prose, `document` the Word layout. Importing this
package registers the `report-doc` command with the command line.
"""

from __future__ import annotations

from analytics.report_doc import command as _command  # noqa: F401  (registers report-doc)
from analytics.report_doc.document import DOCX_MIME, ProgressCallback, build_report

__all__ = ["DOCX_MIME", "ProgressCallback", "build_report"]
