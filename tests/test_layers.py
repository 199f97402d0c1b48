"""The package's shape: no two modules import each other (at the top or inside a function), so
each can be read, and replaced, from the bottom up."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "coordination"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("coordination"):
                submodules = {f"{node.module}.{a.name}" for a in node.names} & set(modules)
                found |= submodules  # `from package import module` reads the module, not the package
                if len(submodules) < len(node.names):
                    found.add(node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("coordination")}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_no_two_modules_import_each_other():
    graph = imports()
    pairs = sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets if a in graph.get(b, ())})
    assert pairs == []


def test_the_domain_imports_nothing_but_itself():
    graph = imports()
    outside = {(a, b) for a, targets in graph.items() if a.startswith("coordination.domain")
               for b in targets if not b.startswith(("coordination.domain", "coordination.errors"))}
    assert outside == set()


# The jobs that queue in bulk, set-based, and the operations alerts (no case, no member): they
# write outbox rows themselves. Everything else that happens to a case is an event.
BULK_WRITERS = {"coordination.usecases.sweep", "coordination.usecases.team_meeting_agenda", "coordination.usecases.operations"}
QUEUEING = {"enqueue", "enqueue_many", "tell_members", "record_unroutable"}


def test_use_cases_queue_messages_only_through_events():
    """A newcomer follows an event to its message in one file (notifications/handlers.py): no use
    case builds an outbox row by hand."""
    by_hand = set()
    for path in (PACKAGE / "usecases").glob("*.py"):
        name = module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if called in QUEUEING and name not in BULK_WRITERS:
                    by_hand.add((name, called, node.lineno))
    assert by_hand == set()


def test_every_event_has_its_handler():
    import typing

    from coordination.domain import events
    from coordination.notifications import handlers

    declared = set(typing.get_args(events.Event))
    assert declared and declared == set(handlers._HANDLERS)
