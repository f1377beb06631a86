"""Every package estimig's code imports is one that pyproject.toml declares, by the distribution that
really provides the imported module (azureml's namespace packages come from several).

Two rules, read off the source with `ast`, never by importing it (an import that only works because
this machine happens to have a package is exactly what is looked for):
- imports at module level need only the core `dependencies`: `import estimig.<anything>` works
  after a plain `pip install estimig`;
- imports inside functions may also come from the package's extras (`sdk`, `runtime`); `test` and
  `bench` are for tests/ and bench/, not for the package.
"""

from __future__ import annotations

import ast
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIRS = (ROOT / "estimig", ROOT / "codemods")
NOT_FOR_THE_PACKAGE = {"test", "bench"}


def project() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(text).name) for text in requirements} - {"estimig"}


def declared() -> tuple[set[str], set[str]]:
    """The core dependencies, and those the package's own extras add."""
    data = project()
    extras = {name: reqs for name, reqs in data["optional-dependencies"].items() if name not in NOT_FOR_THE_PACKAGE}
    return names(data["dependencies"]), set().union(*(names(reqs) for reqs in extras.values()))


def imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, absolute module imported, at module level?) for every import in the file."""
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name, not in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.lineno, child.module, not in_function))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return [(line, module, top) for line, module, top in found
            if module.split(".")[0] not in sys.stdlib_module_names and module.split(".")[0] != "estimig"]


@lru_cache(maxsize=None)
def providers() -> dict[str, set[str]]:
    """Dotted package or module name -> the installed distributions whose files hold it."""
    by_module: dict[str, set[str]] = {}
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"] or "")
        for file in dist.files or ():
            parts = file.parts
            if not parts or parts[0].endswith((".dist-info", ".egg-info", ".data")) or parts[0] == "..":
                continue
            if parts[-1].endswith(".py"):
                module = parts[:-1] if parts[-1] == "__init__.py" else (*parts[:-1], parts[-1][:-3])
                for depth in range(1, len(module) + 1):
                    by_module.setdefault(".".join(module[:depth]), set()).add(name)
    return by_module


def provider(module: str) -> set[str]:
    """The distributions that provide `module`: the ones holding its deepest known part."""
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        found = providers().get(".".join(parts[:depth]))
        if found:
            return found
    return {canonicalize_name(parts[0])}  # not installed here: the import name is the usual guess


def undeclared() -> list[str]:
    core, extras = declared()
    problems = []
    for folder in PACKAGE_DIRS:
        for path in sorted(folder.rglob("*.py")):
            for line, module, top_level in imports(path):
                dists = provider(module)
                allowed = core if top_level else core | extras
                if dists & allowed:
                    continue
                where = f"{path.relative_to(ROOT)}:{line}: {module} (from {', '.join(sorted(dists))})"
                if top_level and dists & extras:
                    problems.append(f"{where}: an extra's package imported at module level")
                else:
                    problems.append(f"{where}: not declared in pyproject.toml")
    return problems


def test_every_import_of_the_package_is_declared():
    assert undeclared() == []


def test_the_check_sees_what_it_checks():
    # The walk finds the lazy imports of the extras and the module-level ones of the core, and a
    # package missing from the metadata would be reported: these hold the two rules to real imports.
    found = {module for folder in PACKAGE_DIRS for path in folder.rglob("*.py") for _, module, _ in imports(path)}
    assert {"libcst", "click", "docker", "packaging.requirements", "azureml.core.script_run_config"} <= found
    assert provider("azureml.pipeline.steps") == {"azureml-pipeline-steps"}
    assert provider("azureml.core.runconfig") == {"azureml-core"}
    core, extras = declared()
    assert "packaging" in core and "docker" in extras and "docker" not in core


@pytest.mark.parametrize("requirement", ["libcst", "packaging", "azureml-core"])
def test_a_dropped_dependency_is_reported(monkeypatch, requirement):
    data = project()
    trimmed = {
        "dependencies": [r for r in data["dependencies"] if canonicalize_name(Requirement(r).name) != requirement],
        "optional-dependencies": {name: [r for r in reqs if canonicalize_name(Requirement(r).name) != requirement]
                                  for name, reqs in data["optional-dependencies"].items()},
    }
    monkeypatch.setattr(sys.modules[__name__], "project", lambda: trimmed)
    assert any(f"(from {requirement})" in problem for problem in undeclared())
