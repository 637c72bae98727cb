"""`farflow.spec` is what both platforms render, so it imports neither platform nor the executor."""

from __future__ import annotations

import ast
from pathlib import Path

import farflow.spec

SPEC = Path(farflow.spec.__file__).parent
FORBIDDEN = ("farflow.executor", "farflow.local", "farflow.deploy")


def imported_modules(source: str, package: str) -> set[str]:
    """Every module an `import` or `from ... import` in `source` names, relative imports resolved."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def forbidden_imports(source: str, package: str = "farflow.spec") -> list[str]:
    return sorted(
        name
        for name in imported_modules(source, package)
        if any(name == root or name.startswith(f"{root}.") for root in FORBIDDEN)
    )


def test_spec_modules_import_neither_platform_nor_the_executor() -> None:
    modules = sorted(SPEC.rglob("*.py"))
    assert len(modules) > 10  # the package was found
    found = {
        str(path.relative_to(SPEC)): bad
        for path in modules
        if (bad := forbidden_imports(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_check_sees_every_form_of_import() -> None:
    assert forbidden_imports("import farflow.executor.settings") == ["farflow.executor.settings"]
    assert forbidden_imports("from farflow.local import seed") == ["farflow.local", "farflow.local.seed"]
    assert forbidden_imports("from farflow import deploy") == ["farflow.deploy"]
    assert forbidden_imports("def f():\n    from ..executor import launcher") == [
        "farflow.executor",
        "farflow.executor.launcher",
    ]
    assert forbidden_imports("from farflow.spec import names\nimport farflow.localized") == []
