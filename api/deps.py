"""Dependencies of the routes, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.jobs import InProcessQueue, JobQueue
from api.security import authenticate
from api.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_queue(request: Request) -> JobQueue:
    return request.app.state.queue


def get_client(request: Request) -> str:
    """The caller's client id ('' without API keys); 401 if a key is needed and missing."""
    return authenticate(request, request.app.state.settings.api_keys())


def client_host(request: Request) -> str:
    return request.client.host if request.client else "unknown"


SettingsDep = Annotated[Settings, Depends(get_settings)]
QueueDep = Annotated[JobQueue, Depends(get_queue)]
ClientDep = Annotated[str, Depends(get_client)]

__all__ = ["ClientDep", "InProcessQueue", "QueueDep", "SettingsDep", "client_host"]
