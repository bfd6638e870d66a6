"""Each choice is listed once, by its enum: click parses it into the member, the policy
schema's lists and the policy's types name the same words, and every command's options
build its arguments dataclass field for field."""

from __future__ import annotations

import dataclasses
import json
import typing

import click
import pytest

from drift_gate.chain import Link, LinkMode, SkippableLink
from drift_gate.cli import cli
from drift_gate.cli_options import EnumChoice
from drift_gate.commands.check import CheckArguments
from drift_gate.commands.github_comment import CommentRequest
from drift_gate.commands.merge import MergeArguments
from drift_gate.commands.pre_push import PrePushArguments
from drift_gate.commands.scan import ScanArguments
from drift_gate.model.levels import FailOn
from tests.conftest import REPO


def _option(command: str, name: str) -> click.Parameter:
    return next(p for p in cli.commands[command].params if p.name == name)


@pytest.mark.parametrize(
    ("command", "name", "word", "member"),
    [
        ("check", "fail_on", "warning", FailOn.WARNING),
        ("scan", "fail_on", "never", FailOn.NEVER),
        ("merge", "fail_on", "error", FailOn.ERROR),
        ("pre-push", "fail_on", "warning", FailOn.WARNING),
        ("check", "secret_checks", "best-effort", LinkMode.BEST_EFFORT),
        ("scan", "secret_checks", "off", LinkMode.OFF),
        ("check", "skipped_links", "running-tasks", SkippableLink.RUNNING_TASKS),
        ("scan", "skipped_links", "execution-role", SkippableLink.EXECUTION_ROLE),
    ],
)
def test_a_choice_is_parsed_into_its_enum_member(
    command: str, name: str, word: str, member: object
) -> None:
    parameter = _option(command, name)
    assert isinstance(parameter.type, EnumChoice)
    assert parameter.type.convert(word, parameter, None) is member
    assert list(parameter.type.choices) == [m.value for m in type(member)]


def test_the_defaults_are_members_too() -> None:
    # Under the group's context, as a real run: click caches a command's help option from
    # the first context it sees (a bare one would leave `-h` out of later --help output).
    parent = click.Context(cli, info_name="drift-gate", **cli.context_settings)
    context = cli.commands["check"].make_context("check", [], parent=parent)
    assert context.params["fail_on"] is FailOn.ERROR
    assert context.params["skipped_links"] == ()


def test_each_skippable_link_names_its_link() -> None:
    assert {link.link for link in SkippableLink} == {
        Link.IMAGES,
        Link.RUNNING_TASKS,
        Link.EXECUTION_ROLE,
    }


def _schema_words(node: object, key: str) -> list[list[object]]:
    """The `enum` lists of every property named `key` in the schema."""
    found: list[list[object]] = []
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key and isinstance(value, dict) and "enum" in value:
                found.append(value["enum"])
            found.extend(_schema_words(value, key))
    elif isinstance(node, list):
        for item in node:
            found.extend(_schema_words(item, key))
    return found


def test_the_policy_schema_and_types_name_the_same_modes_as_the_enum() -> None:
    """The schema keeps its own lists (a JSON Schema cannot import Python): held equal here,
    booleans aside (YAML's true/false for on/off)."""
    from drift_gate.model.declared import RoleChecks, SecretChecks

    schema = json.loads((REPO / "drift_gate/schemas/policy.schema.json").read_text("utf-8"))
    modes = [mode.value for mode in LinkMode]
    for key in ("secret_checks", "execution_role"):
        lists = _schema_words(schema, key)
        assert lists, key
        for words in lists:
            assert [w for w in words if not isinstance(w, bool)] == modes, key
    assert list(typing.get_args(SecretChecks)) == modes
    assert list(typing.get_args(RoleChecks)) == modes


@pytest.mark.parametrize(
    ("command", "arguments"),
    [
        ("check", CheckArguments),
        ("scan", ScanArguments),
        ("merge", MergeArguments),
        ("pre-push", PrePushArguments),
        ("github-comment", CommentRequest),
    ],
)
def test_every_option_is_a_field_of_the_command_arguments(command: str, arguments: type) -> None:
    """click builds the arguments from the options by name (cli_options.builds): --format and
    --output become `outputs`, paired in command-line order; the options of registered declared
    sides (drift_gate/declared_sides.py) become `declared_files`, in command-line order too, and
    their settings `declared_settings`."""
    params = cli.commands[command].params
    names = {p.name for p in params if p.expose_value} - {"formats"}
    sides = [p for p in params if not p.expose_value]
    names |= {"declared_files", "declared_settings"} if command == "check" else set()
    assert names == {field.name for field in dataclasses.fields(arguments)}
    # a side's files are repeatable; its own settings (--stack NAME) are given once
    from drift_gate.declared_sides import DECLARED_SIDES

    settings = {s.parameter for side in DECLARED_SIDES for s in side.settings}
    assert all(p.multiple for p in sides if p.name not in settings)


def test_each_link_mode_reaches_the_policy_as_its_own_word() -> None:
    from drift_gate.chain import LinkMode
    from drift_gate.engine.scan_request import link_mode

    assert {mode: link_mode(mode) for mode in LinkMode} == {mode: mode.value for mode in LinkMode}
    assert all(type(link_mode(mode)) is str for mode in LinkMode)
