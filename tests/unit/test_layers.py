"""The package's own imports: no circle (TYPE_CHECKING and lazy imports included), and
each layer imports only the layers below it (docs/architecture.md draws the arrows)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "drift_gate"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every drift_gate module `path` imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in modules}


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: imports_of(path, modules) - {name} for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_in_the_package() -> None:
    assert cycles(import_graph()) == []


def test_help_lists_the_formats_without_importing_pydantic_or_a_reporter() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, contextlib, io\n"
        "from drift_gate.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    main(['check', '--help'])\n"
        "assert 'sarif' in out.getvalue()\n"
        "loaded = [m for m in ('pydantic', 'boto3', 'drift_gate.report.console') if m in sys.modules]\n"
        "print(loaded)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_a_live_check_of_a_policy_does_not_load_the_hcl_reader() -> None:
    """The HCL reader (python-hcl2 and lark, about 75 ms to import) serves the offline check
    and a plan's file:line; a check of a policy against AWS needs neither."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "import drift_gate.commands.check, drift_gate.engine.gate\n"
        "print(sorted(m for m in ('hcl2', 'lark') if m in sys.modules))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_the_library_surface_runs_a_check_and_returns_the_report(tmp_path: Path) -> None:
    import drift_gate

    example = REPO / "examples" / "hokusai"
    report = drift_gate.check_offline(example / "drift-gate.yaml", example / "infra")
    assert isinstance(report, drift_gate.Report)
    assert (report.verdict.value, report.exit_code) == ("pass", drift_gate.ExitCode.PASS)
    assert set(drift_gate.__all__) >= {"check", "check_offline", "Report", "ExitCode"}


def test_the_collector_is_as_it_was_after_a_command(tmp_path: Path) -> None:
    """main() pauses the cyclic collector for a command and gives it back as it found it,
    even when the command fails (drift_gate/gcpause.py says why it pauses)."""
    import gc

    from drift_gate.cli import main

    example = REPO / "examples" / "hokusai"
    offline = ["check", "--offline", "--policy", str(example / "drift-gate.yaml")]
    assert gc.isenabled()
    assert main([*offline, "--terraform-dir", str(example / "infra")]) == 0
    assert gc.isenabled()
    assert main([*offline, "--terraform-dir", str(tmp_path / "none")]) == 2
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    gc.disable()
    try:
        main(["rules"])
        assert not gc.isenabled()
    finally:
        gc.enable()


# The layers of docs/architecture.md, lowest first, each with the layers it may import. A
# module in no layer is of the base (errors, deadline, locations, references, rules, chain,
# input_files, http_client, ...): small modules every layer may use, which import only each
# other and the model. An import against the table is fixed, or written below with its reason.
LAYERS: dict[str, tuple[str, ...]] = {
    "model": (),
    "policy": ("model",),
    "sources": ("model",),
    "checks": ("model",),
    "report": ("model",),
    "publish": ("report", "model"),
    "engine": ("checks", "sources", "policy", "model", "registries"),
    "registries": ("model",),
    "commands": ("engine", "report", "publish", "policy", "sources", "model", "registries"),
    "cli": ("commands", "report", "model", "registries"),
    "api": ("engine", "model"),
}
MEMBERS: dict[str, tuple[str, ...]] = {
    "model": ("drift_gate.model",),
    "policy": ("drift_gate.policy", "drift_gate.yamlfile", "drift_gate.iam"),
    "sources": ("drift_gate.sources",),
    "checks": ("drift_gate.checks",),
    "report": ("drift_gate.report",),
    "publish": ("drift_gate.publish",),
    "engine": ("drift_gate.engine",),
    # Tables the command line is built from: standard library only at import time.
    "registries": ("drift_gate.declared_sides",),
    "commands": (
        "drift_gate.commands",
        "drift_gate.inventory",
        "drift_gate.demo",
        "drift_gate.demo_hook",
        "drift_gate.demo_serve",
        "drift_gate._moto_compat",
    ),
    "cli": (
        "drift_gate.cli",
        "drift_gate.cli_options",
        "drift_gate.cli_option_sets",
        "drift_gate.cli_await_options",
        "drift_gate.cli_hook_options",
        "drift_gate.cli_init",
        "drift_gate.__main__",
    ),
    # and the package itself, drift_gate/__init__.py; the Lambda entry point is an API too
    "api": ("drift_gate.api", "drift_gate.aws_lambda"),
}
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("drift_gate.checks.waivers", "drift_gate.policy"): (
        "waivers are declared by the policy alone; their entries are the policy's models"
    ),
    ("drift_gate.checks.tasks", "drift_gate.sources.answers"): (
        "the DescribeTasks answer, validated where it arrived, is what the task checks read; "
        "a copy in the model would convert every task for nothing"
    ),
    ("drift_gate.checks.execution_role", "drift_gate.sources.execution_role"): (
        "the IAM simulation's questions and answers (and the actions asked about) are the "
        "source's vocabulary, read as they arrived"
    ),
    ("drift_gate.publish.metrics", "drift_gate.sources.answers"): (
        "PutMetricData's answer is validated with the one reader of AWS answers"
    ),
    ("drift_gate.aws_lambda", "drift_gate.commands.on_event"): (
        "the Lambda's event path publishes the issue and the metrics as `on-event` does; "
        "imported only for an EventBridge event (the hook's path imports the engine only)"
    ),
    ("drift_gate.cli_options", "drift_gate.sources.accounts"): (
        "--external-id and --session-name are checked at parse time against AWS's own "
        "limits, defined once with the code that sends them (imported in the callback)"
    ),
}


def layer_of(module: str) -> str:
    if module == "drift_gate":
        return "api"
    for layer, prefixes in MEMBERS.items():
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return layer
    return "base"


def test_each_layer_imports_only_the_layers_below_it() -> None:
    against = []
    for module, imported in import_graph().items():
        mine = layer_of(module)
        allowed = {mine, "base", *LAYERS.get(mine, ("model",))}
        for target in imported:
            theirs = layer_of(target)
            if theirs not in allowed and (module, target) not in EXCEPTIONS:
                against.append(f"{module} ({mine}) -> {target} ({theirs})")
    assert sorted(against) == []


def test_every_exception_is_still_needed() -> None:
    graph = import_graph()
    assert [pair for pair in EXCEPTIONS if pair[1] not in graph.get(pair[0], set())] == []
