"""The dashboard as the server runs it: app.py under st.App, files for the signed-in only.

`python -m ui.serve` (scripts/run.sh) runs `streamlit run asgi.py`: Streamlit finds `app` below
and serves app.py as it would alone, with our middleware in front (ui/file_access.py).
"""

import streamlit as st
from starlette.middleware import Middleware

from ui.file_access import SignedInFilesOnly

app = st.App("app.py", middleware=[Middleware(SignedInFilesOnly)])
