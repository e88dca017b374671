"""jieba's dictionary cache is kept in the service's own folder, never in the shared /tmp."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

from triage.answers import retrieval


def test_the_cache_goes_to_a_private_folder_not_tmp(tmp_path: Path, monkeypatch):
    before = set(Path(tempfile.gettempdir()).glob("jieba*.cache"))
    folder = tmp_path / "var"
    monkeypatch.setenv(retrieval.CACHE_DIR_VARIABLE, str(folder))
    # A word list of its own: a new tokenizer, initialised (and cached) here.
    tokenizer = retrieval._segmenter(("烟感探测器测试词",))
    try:
        assert "烟感探测器测试词" in tokenizer.lcut("家里的烟感探测器测试词坏了")
        assert [p.name for p in folder.iterdir()] == ["jieba.cache"]
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert set(Path(tempfile.gettempdir()).glob("jieba*.cache")) <= before
    finally:
        retrieval._segmenters.pop(("烟感探测器测试词",), None)


def test_the_default_is_var_in_the_working_folder(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(retrieval.CACHE_DIR_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    assert retrieval.cache_dir() == Path("var")
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700


def test_a_folder_that_cannot_be_made_costs_only_the_cache(tmp_path: Path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(retrieval.CACHE_DIR_VARIABLE, str(blocker / "var"))
    assert retrieval.cache_dir() == blocker / "var"  # jieba then goes on without a cache
