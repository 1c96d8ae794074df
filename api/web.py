"""The web page (web/ in the repository): index at /, its modules and styles under /web/.

The page is a client of the public HTTP contract like the bot; the service only hands out its
files. They are served under their own prefix so that no API path is shadowed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

log = logging.getLogger("api.web")

# Beside the api package: the repository in a checkout or an editable install, /app in the image.
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# Everything the page loads comes from this origin; images and clips may also be local blobs.
_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def mount_web_page(app: FastAPI, folder: Path = WEB_DIR) -> None:
    """Serve the page at / and its files at /web/; a missing folder is logged, not fatal."""
    index = folder / "index.html"
    if not index.is_file():
        log.warning("no web page to serve", extra={"folder": str(folder)})
        return

    @app.get("/", include_in_schema=False)
    async def web_page() -> FileResponse:
        return FileResponse(
            index, headers={"Cache-Control": "no-cache", "Content-Security-Policy": _CSP}
        )

    app.mount("/web", StaticFiles(directory=folder), name="web")
