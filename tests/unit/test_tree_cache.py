"""The content-addressed cache of .tf syntax trees (drift_gate/sources/hcl/tree_cache.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
import lark
import pytest

from drift_gate.sources.hcl import tree_cache
from drift_gate.sources.hcl.syntax import Token, from_lark
from drift_gate.sources.hcl.tree import parse_file
from tests.conftest import REPO

TF_FILES = sorted(
    path
    for path in REPO.rglob("*.tf")
    if ".venv" not in path.parts and ".terraform" not in path.parts
)


def shape(node: Any) -> Any:
    """Everything the evaluator reads of a tree, lark's or drift-gate's: rule names, tokens
    with type and text, and every position."""
    if isinstance(node, lark.Token | Token):
        return ("t", node.type, str(node), node.line, node.column, node.end_line, node.end_column)
    meta = None if node.meta.empty else (node.meta.line, node.meta.end_line, node.meta.column)
    return ("n", str(node.data), meta, [shape(child) for child in node.children])


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DRIFT_GATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DRIFT_GATE_NO_CACHE", raising=False)
    return tmp_path / "cache" / "hcl-trees"


def test_there_are_tf_files_to_check() -> None:
    assert len(TF_FILES) >= 5


@pytest.mark.parametrize("path", TF_FILES, ids=lambda path: str(path.relative_to(REPO)))
def test_a_cached_tree_is_the_parsed_tree(cache: Path, path: Path) -> None:
    """python-hcl2's lark tree, converted, stored and read back, is the same tree."""
    text = path.read_text(encoding="utf-8")
    parsed = hcl2.parses_to_tree(text)
    converted = from_lark(parsed)
    assert shape(converted) == shape(parsed)
    assert not isinstance(converted, Token)
    tree_cache.store(text, converted)
    cached = tree_cache.load(text)
    assert cached is not None
    assert shape(cached) == shape(parsed)


def test_a_cache_hit_imports_neither_lark_nor_python_hcl2(cache: Path) -> None:
    import subprocess
    import sys

    source = REPO / "examples" / "hokusai" / "infra" / "main.tf"
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from drift_gate.sources.hcl.tree import parse_file\n"
        f"parse_file(Path({str(source)!r}))\n"
        "print(sorted(m for m in ('hcl2', 'lark') if m in sys.modules))\n"
    )
    first = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    again = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert first.stdout.strip() == "['hcl2', 'lark']"
    assert again.stdout.strip() == "[]"


def test_a_second_read_of_the_same_text_does_not_parse(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = REPO / "examples" / "hokusai" / "infra" / "main.tf"
    first = parse_file(source)
    assert len(list(cache.glob("*.json"))) == 1

    def no_parse(text: str) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(hcl2, "parses_to_tree", no_parse)
    second = parse_file(source)
    assert [(b.kind, b.labels, b.line, b.end_line) for b in second] == [
        (b.kind, b.labels, b.line, b.end_line) for b in first
    ]


def test_changed_text_is_parsed_afresh(cache: Path, tmp_path: Path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text('resource "aws_ecs_service" "a" {\n  name = "one"\n}\n')
    assert parse_file(tf)[0].labels == ["aws_ecs_service", "a"]
    tf.write_text('resource "aws_ecs_service" "b" {\n  name = "two"\n}\n')
    assert parse_file(tf)[0].labels == ["aws_ecs_service", "b"]
    assert len(list(cache.glob("*.json"))) == 2


@pytest.mark.parametrize("garbage", ["", "{", "[1]", '["t"]', '["n", "body", null, [["x"]]]'])
def test_a_damaged_entry_is_a_miss(cache: Path, tmp_path: Path, garbage: str) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text('resource "aws_ecs_service" "a" {}\n')
    name = tree_cache.entry_name(tf.read_text())
    cache.mkdir(parents=True)
    (cache / f"{name}.json").write_text(garbage)
    assert parse_file(tf)[0].labels == ["aws_ecs_service", "a"]
    json.loads((cache / f"{name}.json").read_text())  # written again, whole


def test_no_cache_when_turned_off_or_not_writable(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text('resource "aws_ecs_service" "a" {}\n')
    monkeypatch.setenv("DRIFT_GATE_NO_CACHE", "1")
    assert parse_file(tf)[0].labels == ["aws_ecs_service", "a"]
    assert not cache.exists()
    monkeypatch.delenv("DRIFT_GATE_NO_CACHE")
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("DRIFT_GATE_CACHE_DIR", str(blocked))  # a file, not a directory
    assert parse_file(tf)[0].labels == ["aws_ecs_service", "a"]


def test_the_cache_directory_is_private(cache: Path, tmp_path: Path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text('resource "aws_ecs_service" "a" {}\n')
    parse_file(tf)
    assert cache.stat().st_mode & 0o077 == 0


def test_the_oldest_entries_go_past_the_bound(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tree_cache, "MAX_ENTRIES", 3)
    for number in range(5):
        tf = tmp_path / f"{number}.tf"
        tf.write_text(f'resource "aws_ecs_service" "s{number}" {{}}\n')
        parse_file(tf)
    assert len(list(cache.glob("*.json"))) == 3


def test_the_default_place_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DRIFT_GATE_CACHE_DIR", raising=False)
    monkeypatch.delenv("DRIFT_GATE_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert tree_cache.cache_directory() == tmp_path / "drift-gate" / "hcl-trees"


def test_no_cache_without_an_absolute_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container run with --user and no HOME must not write a cache into the repository."""
    monkeypatch.delenv("DRIFT_GATE_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: Path("~")))
    assert tree_cache.cache_directory() is None
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert tree_cache.cache_directory() is None
