"""`python -m api`: serve on HOST:PORT with uvicorn."""

from __future__ import annotations

import uvicorn

from api.main import create_app
from api.settings import Settings


def main() -> None:
    settings = Settings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
