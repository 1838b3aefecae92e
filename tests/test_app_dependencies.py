"""The two apps depend one way: envmanager uses accounts (sign-in), accounts never imports envmanager."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _imports_of_app(app: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(ROOT)): _imported_modules(path)
        for path in sorted((ROOT / app).rglob("*.py"))
    }


@pytest.mark.parametrize("app, forbidden", [("accounts", "envmanager"), ("envmanager_airflow", "envmanager")])
def test_app_does_not_import(app, forbidden):
    wrong = {
        path: sorted(name for name in names if name == forbidden or name.startswith(f"{forbidden}."))
        for path, names in _imports_of_app(app).items()
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_check_sees_imports():
    """The parser finds what the rule is about: envmanager does import accounts."""
    imported = set().union(*_imports_of_app("envmanager").values())
    assert "accounts.signin" in imported
