"""The command line's tests: a folder of their own, and the sample district imported there."""

from __future__ import annotations

import pytest

from firecircle.sample import DATA
from tests.harness import run


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty folder to run `firecircle` in: its default SQLite file lands there, and no
    setting comes from the environment."""
    monkeypatch.chdir(tmp_path)
    for name in ("FIRECIRCLE_DATABASE_URL", "FIRECIRCLE_BOT_TOKEN", "FIRECIRCLE_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def district(workdir, capsys):
    """`workdir` with its schema made and the sample district's grid cells imported."""
    run(capsys, "db", "upgrade")
    run(capsys, "grids", "import", str(DATA / "sample_district.geojson"))
    return workdir
