"""Files for the signed-in only: the server's middleware in front of Streamlit's file routes.

Streamlit serves a download button's file at /media/<id>.<ext> to whoever has the URL
(streamlit#8148). With sign-in on (an [auth] section), this middleware answers 403 to a request
for a file route unless it carries a valid sign-in cookie of a user the roles file gives a role.
In local mode (no [auth]) files are served as before. asgi.py puts it in front of the app.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit import config
from streamlit.auth_util import get_cookie_with_chunks
from streamlit.web.server.server_util import AUTH_COOKIE_NAME, get_cookie_secret
from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

from analytics.access import load_policy
from analytics.errors import AuditDataError
from ui import auth

# Streamlit's routes that answer with a file: st.download_button, st.image and the like, and the
# app's static folder (when server.enableStaticServing is on).
FILE_ROUTES = ("/media/", "/app/static/")
REFUSAL = "Sign in to the dashboard to download this file."


def is_file_route(path: str) -> bool:
    """Return whether `path` (a request's path) is one of Streamlit's file routes."""
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}" if base else ""
    return any(path.startswith(prefix + route) for route in FILE_ROUTES)


def signed_in_claims(cookies: Mapping[str, str]) -> dict | None:
    """Return the claims in a request's sign-in cookie if its signature is valid, else None.

    Streamlit has no public function for this: st.user exists only inside a session. So this
    reads the cookie the way Streamlit's websocket handler does (streamlit 1.67,
    starlette_websocket._get_signed_cookie_with_chunks): `_streamlit_user`, possibly split into
    chunks, signed by itsdangerous with the [auth] cookie_secret, the cookie's name as salt, and
    at most 31 days old, with Streamlit's own functions. If Streamlit changes them, the server
    does not start or refuses every file (never serves one) and tests/browser/test_signin_browser.py
    fails.
    """
    secret = get_cookie_secret()

    def verified(name: str) -> bytes | None:
        value = cookies.get(name)
        return decode_signed_value(secret, name, value.encode("latin-1")) if value else None

    if not secret:
        return None
    try:
        payload = json.loads(get_cookie_with_chunks(verified, AUTH_COOKIE_NAME) or b"null")
    except (UnicodeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def may_fetch_files(cookies: Mapping[str, str]) -> bool:
    """Return whether a request with `cookies` may fetch files: always in local mode, else only
    with a valid sign-in cookie of a user the roles file gives a role."""
    try:
        if not auth.auth_configured():
            return True
        claims = signed_in_claims(cookies)
        if not claims or claims.get("is_logged_in") is not True:
            return False
        return load_policy().actor_for(claims).role is not None
    except AuditDataError:  # a broken secrets or roles file: nobody gets in, as on the pages
        return False


class SignedInFilesOnly:
    """ASGI middleware: a request for a file route is refused (403) unless may_fetch_files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = (
            scope["type"] == "http"
            and is_file_route(scope["path"])
            and not may_fetch_files(HTTPConnection(scope).cookies)
        )
        if refused:
            response = PlainTextResponse(REFUSAL, status_code=403)
            response.headers["Cache-Control"] = "no-store"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
