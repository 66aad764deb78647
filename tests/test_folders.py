"""`atomic_folder`: a model folder is replaced whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agents.folders import atomic_folder


def test_a_complete_write_replaces_the_target_with_readable_files(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with atomic_folder(target) as tmp:
        (tmp / "weights.bin").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["weights.bin"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o755)
    assert oct((target / "weights.bin").stat().st_mode & 0o777) == oct(0o644)
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temporary folder left


def test_a_failed_write_leaves_the_old_target_and_no_temporary_folder(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(target) as tmp:
        (tmp / "half.bin").write_text("half")
        raise RuntimeError("killed mid-write")
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_a_concurrent_writer_is_accepted_only_when_the_caller_says_so(tmp_path, monkeypatch):
    target = tmp_path / "nested" / "model"
    rename = Path.rename

    def new_folder_loses_the_race(self, dest):
        if self.name.startswith(".model-") and "-old-" not in self.name:
            os.makedirs(dest, exist_ok=True)  # another process put its folder there first
            (Path(dest) / "theirs.bin").write_text("theirs")
            raise OSError("Directory not empty")
        return rename(self, dest)

    monkeypatch.setattr(Path, "rename", new_folder_loses_the_race)
    with atomic_folder(target, accept_existing=lambda path: path.is_dir()) as tmp:
        (tmp / "w.bin").write_text("x")
    assert [p.name for p in target.iterdir()] == ["theirs.bin"]
    with pytest.raises(OSError), atomic_folder(target, accept_existing=lambda path: False) as tmp:
        (tmp / "w.bin").write_text("x")
    assert [p.name for p in target.parent.iterdir()] == ["model"]  # nothing else left behind


def test_the_previous_folder_comes_back_when_the_new_one_cannot_be_put_in_place(
    tmp_path, monkeypatch
):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    rename = Path.rename

    def new_folder_fails(self, dest):
        if self.name.startswith(".model-") and "-old-" not in self.name:
            raise OSError("disk full")
        return rename(self, dest)

    monkeypatch.setattr(Path, "rename", new_folder_fails)
    with pytest.raises(OSError, match="disk full"), atomic_folder(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
