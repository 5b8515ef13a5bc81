"""All-or-nothing writes: a failure inside the block leaves nothing (not even the folders made
for it) and keeps an earlier file or folder as it was; success moves everything into place."""

from __future__ import annotations

import pytest

from alstrial.exchange.staging import final_paths, staged_file, staged_folder


class Interrupted(Exception):
    pass


def fail_in_folder(out, name: str, text: str) -> None:
    """Write one file into the staged folder of ``out``, then fail."""
    with staged_folder(out) as folder:
        (folder / name).write_text(text)
        raise Interrupted


def fail_in_file(out, text: str) -> None:
    with staged_file(out) as staging:
        staging.write_text(text)
        raise Interrupted


def test_folder_success_moves_every_file_and_keeps_other_files(tmp_path):
    out = tmp_path / "a" / "b" / "export"
    with staged_folder(out) as folder:
        assert folder.parent == out.parent
        assert not out.exists()  # nothing visible while writing
        paths = [folder / "dm.csv", folder / "ae.csv"]
        for path in paths:
            path.write_text(path.name)
    assert sorted(p.name for p in out.iterdir()) == ["ae.csv", "dm.csv"]
    assert final_paths(paths, folder, out) == [out / "dm.csv", out / "ae.csv"]
    (out / "notes.txt").write_text("mine")
    with staged_folder(out) as folder:
        (folder / "dm.csv").write_text("new")
    assert (out / "dm.csv").read_text() == "new"
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.parent.iterdir()) == ["export"]  # no temporary left


def test_folder_failure_leaves_nothing(tmp_path):
    out = tmp_path / "new" / "deeper" / "export"
    with pytest.raises(Interrupted):
        fail_in_folder(out, "dm.csv", "half")
    assert list(tmp_path.iterdir()) == []


def test_folder_failure_keeps_the_earlier_export(tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "dm.csv").write_text("old")
    with pytest.raises(Interrupted):
        fail_in_folder(out, "dm.csv", "new")
    assert (out / "dm.csv").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


def test_file_success_and_failure(tmp_path):
    out = tmp_path / "odm" / "trial.xml"
    with staged_file(out) as staging:
        staging.write_text("<ODM/>")
    assert out.read_text() == "<ODM/>"
    with pytest.raises(Interrupted):
        fail_in_file(out, "<OD")
    assert out.read_text() == "<ODM/>"
    assert [p.name for p in out.parent.iterdir()] == ["trial.xml"]
    fresh = tmp_path / "x" / "dictionary.csv"
    with pytest.raises(Interrupted):
        fail_in_file(fresh, "a,b")
    assert not (tmp_path / "x").exists()
