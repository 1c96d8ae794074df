"""Fixtures shared by the engine's tests."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    """A folder of three example photos to train tiny networks on (a module may override it)."""
    folder = tmp_path_factory.mktemp("photos")
    for path in sorted((EXAMPLES / "content").glob("*.jpg"))[:3]:
        shutil.copy(path, folder / path.name)
    return folder
