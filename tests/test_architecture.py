"""The architecture of ARCHITECTURE.md, checked on every module's imports: layers import only downwards,
Whoosh begins and ends in one adapter, and each outside dependency stays in the module that owns it."""

from __future__ import annotations

import ast
import importlib
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vnsearch"
ADAPTER = "vnsearch.engine.adapter"
PUBLIC_FACE = {"vnsearch", "vnsearch.errors", "vnsearch.fields", "vnsearch.index", "vnsearch.loaders"}
# The LLM frameworks' retrievers: front doors that only users import, each alone importing its framework.
INTEGRATIONS = {
    "vnsearch.integrations",
    "vnsearch.integrations.retrieval",
    "vnsearch.integrations.langchain",
    "vnsearch.integrations.llamaindex",
}
FRONT_DOORS = {"vnsearch.cli", "vnsearch.server", "vnsearch.keys", "vnsearch.demo", "vnsearch.__main__"} | INTEGRATIONS
# What each layer may import from vnsearch (its own folder always): only downwards.
ALLOWED = {
    "language": ("vnsearch.language",),
    "engine": ("vnsearch.engine", "vnsearch.language", "vnsearch.errors"),
    "search": ("vnsearch.search", "vnsearch.engine", "vnsearch.language", "vnsearch.errors"),
    "suggest": ("vnsearch.suggest", "vnsearch.search", "vnsearch.engine", "vnsearch.language", "vnsearch.errors"),
}
# Outside dependencies and the one module that owns each.
OWNERS = {
    "whoosh": ADAPTER,
    "unidecode": "vnsearch.language.normalize",
    "pyvi": "vnsearch.language.segmenter",
    "langchain_core": "vnsearch.integrations.langchain",
    "llama_index": "vnsearch.integrations.llamaindex",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))}


def imports(tree: ast.Module) -> Iterator[tuple[str, list[str]]]:
    """(module, names) of every import anywhere in the module, functions included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [alias.name for alias in node.names]


def vnsearch_imports(tree: ast.Module) -> set[str]:
    """The vnsearch modules a module imports (`from vnsearch.engine import terms` imports `...terms`)."""
    found = set()
    for module, names in imports(tree):
        if module.split(".")[0] != "vnsearch":
            continue
        submodules = [f"{module}.{name}" for name in names if f"{module}.{name}" in MODULES]
        found |= set(submodules) or {module}
    return found


def layer(name: str) -> str:
    """The folder a module is in (`top` for the modules beside the folders)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else "top"


def strings(tree: ast.Module) -> set[str]:
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_the_package_has_the_four_folders_and_the_rules_see_every_module() -> None:
    assert {layer(name) for name in MODULES} == {"top", *ALLOWED}
    assert {name for name in MODULES if layer(name) == "top"} == PUBLIC_FACE | FRONT_DOORS


@pytest.mark.parametrize("name", sorted(name for name in MODULES if layer(name) in ALLOWED))
def test_layers_import_only_downwards(name: str) -> None:
    wrong = {found for found in vnsearch_imports(MODULES[name]) if not found.startswith(ALLOWED[layer(name)])}
    assert not wrong, f"{name} may import only {ALLOWED[layer(name)]}, not {sorted(wrong)}"


@pytest.mark.parametrize("dependency", sorted(OWNERS))
def test_each_outside_dependency_is_imported_by_its_owner_alone(dependency: str) -> None:
    users = {
        name for name, tree in MODULES.items() for module, _ in imports(tree) if module.split(".")[0] == dependency
    }
    # pyvi is found by name (importing it would load scikit-learn), so a mention counts as a use.
    users |= {name for name, tree in MODULES.items() if dependency in strings(tree) and dependency == "pyvi"}
    assert users <= {OWNERS[dependency]}, f"{dependency} is used by {sorted(users - {OWNERS[dependency]})}"


def test_no_whoosh_class_or_object_leaves_the_adapter() -> None:
    """Other modules take only names the adapter defines itself: vnsearch's own types, never Whoosh's."""
    adapter = importlib.import_module(ADAPTER)
    taken = {n for tree in MODULES.values() for module, names in imports(tree) if module == ADAPTER for n in names}
    assert taken
    values = {n: getattr(adapter, n) for n in taken if typing.get_origin(getattr(adapter, n)) is None}  # not aliases
    foreign = {n for n, value in values.items() if not getattr(value, "__module__", ADAPTER).startswith("vnsearch")}
    assert not foreign, f"the adapter hands out Whoosh's {sorted(foreign)}"


@pytest.mark.parametrize("name", sorted(set(MODULES) - {ADAPTER}))
def test_outside_the_adapter_no_private_attribute_of_another_object_is_touched(name: str) -> None:
    touched = [
        ast.unparse(node)
        for node in ast.walk(MODULES[name])
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls", "os"))  # os._exit
    ]
    assert not touched, f"{name} reaches into {touched}"


def test_nothing_imports_the_front_doors_and_they_use_only_the_public_face() -> None:
    for name, tree in MODULES.items():
        found = vnsearch_imports(tree)
        # `vnsearch serve` starts the HTTP service, `python -m vnsearch` the command line.
        allowed = {"vnsearch.cli": {"vnsearch.__main__"}, "vnsearch.server": {"vnsearch.cli"}}
        for door in ("vnsearch.cli", "vnsearch.server"):
            assert door not in found or name in allowed[door], f"{name} imports {door}"
        assert name in INTEGRATIONS or not found & INTEGRATIONS, f"{name} imports {sorted(found & INTEGRATIONS)}"
        if name in FRONT_DOORS:
            wrong = found - PUBLIC_FACE - FRONT_DOORS
            assert not wrong, f"the front door {name} goes behind the public face: {sorted(wrong)}"


def test_no_two_modules_differ_only_by_a_plural_or_a_suffix() -> None:
    def stem(name: str) -> str:
        word = name.rsplit(".", 1)[-1].removesuffix("s")
        for suffix in ("ing", "er", "ed", "ion"):
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                return word.removesuffix(suffix)
        return word

    stems: dict[str, list[str]] = {}
    for name in MODULES:
        if not name.endswith(("__init__", "__main__")) and name != "vnsearch":
            stems.setdefault(stem(name), []).append(name)
    assert not {s: names for s, names in stems.items() if len(names) > 1}
