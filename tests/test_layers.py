"""The direction of imports (README "Architecture"): each package may import only the layers below it, and no
modules import each other in a cycle.

Imports are read with `ast` from the source, wherever they are: at module level, inside functions, under
`if TYPE_CHECKING`. `from package import name` counts as an import of the submodule `package.name` when there is
one, else of the package itself.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("connectors", "integration", "notifications", "webhooks")

BELOW_PLATFORMS = frozenset({"connectors", "integration.db", "integration.runtime", "integration.help",
                             "notifications"})
BELOW_WEBHOOKS = BELOW_PLATFORMS | {"integration.shopify", "integration.woocommerce", "integration.shops"}
BELOW_WEB = BELOW_WEBHOOKS | {"webhooks"}
#: layer -> the layers (of ours) its modules may import besides their own. Listed bottom to top; a module belongs
#: to the longest layer name that prefixes it, `integration` itself being the top (app, cli, workers, ...).
LAYERS: dict[str, frozenset[str]] = {
    "connectors": frozenset(),
    "integration.db": frozenset(),
    "integration.runtime": frozenset({"integration.db"}),
    "integration.help": frozenset({"integration.db"}),
    "notifications": frozenset({"connectors", "integration.db", "integration.runtime"}),
    "integration.shopify": BELOW_PLATFORMS,
    "integration.woocommerce": BELOW_PLATFORMS,
    "integration.shops": BELOW_PLATFORMS | {"integration.shopify", "integration.woocommerce"},
    "webhooks": BELOW_WEBHOOKS,
    "integration.shopper": BELOW_WEB,
    "integration.storefront": BELOW_WEB,
    "integration.admin": BELOW_WEB | {"integration.storefront"},
    "integration.plugin": BELOW_WEB | {"integration.storefront", "integration.admin"},
    "integration": BELOW_WEB | {"integration.shopper", "integration.storefront", "integration.admin",
                                "integration.plugin"},
}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    in_function: bool

    def where(self) -> str:
        place = "inside a function" if self.in_function else "at module level"
        return f"{self.source} (line {self.line}, {place}) imports {self.target}"


def module_files() -> dict[str, Path]:
    """Every module of ours by dotted name (migrations' version scripts are alembic's, not imported)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "versions" in path.relative_to(ROOT).parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def _ours(name: str) -> str | None:
    """The module of ours that `name` (a module, or a name inside one) lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in MODULES else base


def _imports(module: str) -> Iterator[Import]:
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    in_functions = {id(node) for function in ast.walk(tree)
                    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                    for node in ast.walk(function) if isinstance(node, (ast.Import, ast.ImportFrom))}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in _targets(node, module):
                target = _ours(name)
                if target and target != module:
                    yield Import(module, target, node.lineno, id(node) in in_functions)


#: one entry per (module, module it imports, line): `from a import b, c` of one module counts once.
IMPORTS = list(dict.fromkeys(found for module in MODULES for found in _imports(module)))


def layer_of(module: str) -> str:
    return max((layer for layer in LAYERS if module == layer or module.startswith(layer + ".")), key=len)


def test_every_import_goes_down_the_layers() -> None:
    against = [f"{found.where()}: {layer_of(found.source)} may import only "
               f"{', '.join(sorted(LAYERS[layer_of(found.source)])) or 'nothing of ours'}"
               for found in IMPORTS
               if layer_of(found.target) != layer_of(found.source)
               and layer_of(found.target) not in LAYERS[layer_of(found.source)]]
    assert against == [], "imports against the direction of the layers:\n" + "\n".join(against)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_modules_import_each_other_in_a_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for found in IMPORTS:
        edges.setdefault(found.source, set()).add(found.target)
    cycles = _cycles(edges)
    details = ["  " + " <-> ".join(cycle) + "\n" + "\n".join(
        f"    {found.where()}" for found in IMPORTS if found.source in cycle and found.target in cycle)
        for cycle in cycles]
    assert cycles == [], "import cycles (move the shared code to the layer below both):\n" + "\n".join(details)


def test_our_imports_sit_at_module_level() -> None:
    """With no cycles, an import of ours inside a function only hides a dependency: each is at module level."""
    hidden = [found.where() for found in IMPORTS if found.in_function]
    assert hidden == [], "imports of our own modules inside functions:\n" + "\n".join(hidden)


def test_every_module_is_read() -> None:
    """The checks above see the whole tree: each package's modules, and their imports of one another."""
    assert {layer_of(module) for module in MODULES} == set(LAYERS)
    assert len(IMPORTS) > 250
