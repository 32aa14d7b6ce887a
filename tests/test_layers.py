"""The architecture the README's layout table describes, enforced: each layer imports only
from the layers before it (the package's lazy ``gpurg/__init__.py`` aside), so data and
dependencies flow one way and the CLI stays a thin layer over the library."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS = (
    ("gpurg.errors", "gpurg.validation", "gpurg.registry"),
    ("gpurg.stats",),
    ("gpurg.backend",),
    ("gpurg.models",),
    ("gpurg.io",),
    ("gpurg.sampling", "gpurg.signals", "gpurg.parallel"),
    ("gpurg.rbm", "gpurg.optim"),
    ("gpurg.rsmi",),
    ("gpurg.rg",),
    ("gpurg.figures",),
    ("gpurg.jobs",),
    ("gpurg.cli",),
)


def layer(module: str) -> int | None:
    for index, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names):
            return index
    return None


def modules() -> list[tuple[str, Path]]:
    found = [(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"),
              p) for p in (ROOT / "gpurg").rglob("*.py")]
    found += [(f"gpurg.cli.{p.stem}".removesuffix(".__init__"), p)
              for p in (ROOT / "cli").glob("*.py")]
    return [(m, p) for m, p in found if m != "gpurg"]


def imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
    return [n for n in names if n.startswith("gpurg.")]


def test_every_module_has_a_layer() -> None:
    assert len(modules()) > 50
    assert [m for m, _ in modules() if layer(m) is None] == []


def test_imports_flow_one_way() -> None:
    upward = [f"{m} imports {n}" for m, path in modules() for n in imports(path)
              if layer(n) is not None and layer(n) > layer(m)]
    assert upward == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text("from gpurg.cli.common import console\nimport gpurg.rg.mcrg\n")
    assert imports(source) == ["gpurg.cli.common", "gpurg.rg.mcrg"]
    assert layer("gpurg.cli.common") > layer("gpurg.models.ising")


def test_every_package_is_installed() -> None:
    """pyproject.toml lists the packages a wheel holds: a new folder of modules left out of it
    works from this tree and is missing from every installed copy (as gpurg.jobs once was)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in
               (ROOT / "gpurg").rglob("__init__.py")}
    assert folders - listed == set()
