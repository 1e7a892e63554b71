"""The package layout is the architecture: stages import downwards only, question-time
code never imports ingest-time code, no module reaches into another's private names,
and the library never imports the chat UI. Read from the source (imports inside
functions count too), so a violation fails here before it ships."""

from __future__ import annotations

import ast

import pytest
from conftest import ROOT

PKG = ROOT / "assistant"

#: Stages from the bottom up; a module may import its own stage and the ones below.
#: ``nlp`` and ``index`` are siblings over ``ingest``'s helpers: index must not need spaCy.
LAYERS = {
    "base": 0,  # errors, config, models, registry
    "text": 1,
    "ingest": 2, "nlp": 2,
    "index": 3,
    "retrieval": 4,
    "answer": 5,
    "api": 6,
    "evaluation": 7,
    "interfaces": 8,
}
BASE = {"errors", "config", "models", "registry", "__init__", "__main__"}
QUESTION_TIME = ("retrieval", "answer")
INGEST_TIME = ("ingest", "nlp")


#: The ingest pipeline writes what the producers make into the index: it sits above the
#: index (and is never imported by question-time code, checked below). So do the ingest
#: executors (their workers embed with ``index.embedding``) and the fan-out that writes
#: what they return.
WRITERS = {"assistant.ingest.pipeline": 3.5, "assistant.ingest.writer": 3.5, "assistant.ingest.driver": 3.5,
           "assistant.ingest.executors": 3.5}


def layer(module: str) -> float:
    for name, level in WRITERS.items():
        if module == name or module.startswith(name + "."):
            return level
    return LAYERS[stage(module)]


def stage(module: str) -> str:
    parts = module.split(".")
    head = parts[1] if len(parts) > 1 else "__init__"
    if head in BASE:
        return "base"
    return head


_FILES: set[str] = set()


def modules() -> dict[str, ast.Module]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        out[name] = ast.parse(p.read_text(encoding="utf-8"))
    return out


def imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(module, names) for every import of the package, at any depth."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            subs = [a.name for a in node.names if f"{node.module}.{a.name}" in _FILES]
            out += [(f"{node.module}.{n}", []) for n in subs]  # "from pkg import submodule"
            names = [a.name for a in node.names if a.name not in subs]
            if names:
                out.append((node.module, names))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.startswith("assistant")]
    return out


MODULES = modules()
_FILES = set(MODULES)


def test_stages_import_downwards_only():
    bad = []
    for name, tree in MODULES.items():
        src = stage(name)
        if src in ("base",) and name in ("assistant", "assistant.__main__"):
            continue  # the package's lazy front door and `python -m assistant`
        for mod, _ in imports(tree):
            dst = stage(mod)
            if dst != src and layer(mod) > layer(name):
                bad.append(f"{name} ({src}) imports {mod} ({dst})")
    assert not bad, "\n".join(bad)


def test_question_time_never_imports_ingest_time():
    bad = [f"{name} imports {mod}" for name, tree in MODULES.items() if stage(name) in QUESTION_TIME
           for mod, _ in imports(tree) if stage(mod) in INGEST_TIME]
    assert not bad, "\n".join(bad)


def test_index_does_not_need_the_nlp_stage():
    bad = [f"{name} imports {mod}" for name, tree in MODULES.items() if stage(name) == "index"
           for mod, _ in imports(tree) if stage(mod) in INGEST_TIME]
    assert not bad, "\n".join(bad)


def test_no_module_imports_another_modules_private_names():
    bad = [f"{name} imports {n} from {mod}" for name, tree in MODULES.items()
           for mod, names in imports(tree) for n in names
           if n.startswith("_") and not n.startswith("__") and mod != name]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("ui", ["gradio", "gradio_client", "app", "chatui"])
def test_the_library_never_imports_the_ui(ui):
    bad = []
    for name, tree in MODULES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == ui for a in node.names):
                bad.append(name)
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == ui:
                bad.append(name)
    assert not bad


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    seen: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(n: str) -> None:
        seen[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if seen.get(m) == 1:
                cycles.append(" -> ".join([*stack[stack.index(m):], m]))
            elif m not in seen:
                visit(m)
        stack.pop()
        seen[n] = 2

    for n in sorted(graph):
        if n not in seen:
            visit(n)
    return cycles


def _graph() -> dict[str, set[str]]:
    return {name: {mod for mod, _ in imports(tree) if mod in MODULES} for name, tree in MODULES.items()}


def test_no_import_cycles_between_modules():
    graph = _graph()
    # A module importing its own package (the registry pattern) is checked by the next test.
    graph = {n: {m for m in deps if not (n.startswith(m + ".") and m in MODULES)} for n, deps in graph.items()}
    cycles = _cycles(graph)
    assert not cycles, "\n".join(cycles)


#: Packages whose modules still import back from their package's ``__init__`` (the registry
#: lives there). None since ``answer.kinds`` (issue 23: ``kinds/registry.py``) and the
#: ingest executors (issue 25: ``executors/registry.py``) moved theirs.
REGISTRY_IN_INIT: tuple[str, ...] = ()


def test_no_package_imports_back_from_its_own_submodules():
    """A registry lives in a module of its own: a package that imports its submodules (to
    register them) and a submodule that imports the package back form a cycle."""
    graph = _graph()
    cycles = [c for c in _cycles(graph)
              if not any(f" {p} " in f" {c.replace(' -> ', ' ')} " for p in REGISTRY_IN_INIT)]
    assert not cycles, "\n".join(cycles)
    # The executors keep their registry in ``executors.registry`` (issue 23 item 5).
    assert not [n for n in graph if n.startswith("assistant.ingest.executors.")
                and "assistant.ingest.executors" in graph[n]]
