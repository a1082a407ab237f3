"""The README's layout is the tree: every package is in it, and imports go one way down its list."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = "labproject/iteration/management/"


def layers() -> list[set[str]]:
    """The layout block's rows, top first, each as the set of top-level names it lists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Layout (the data flow)", 1)[1].split("```", 2)[1]
    rows = []
    for line in block.splitlines():
        if not line.startswith(("labproject/", "seed/")):
            continue  # a description's second line, notebooks/, tests/
        names = re.findall(r"(?:labproject/)?(\w+)(?:\.py|/)", line.split("  ")[0])
        rows.append(set(names))
    return rows


def unit_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    if parts[0] == "seed":
        return "seed"
    return parts[1].removesuffix(".py")


def imported_units(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0
                 else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        for name in names:
            parts = name.split(".")
            if parts[0] == "seed":
                found.add("seed")
            elif parts[0] == "labproject" and len(parts) > 1:
                found.add(parts[1])
    return found


def modules() -> list[Path]:
    return sorted(p for p in [*(ROOT / "labproject").rglob("*.py"), *(ROOT / "seed").rglob("*.py")]
                  if p.name != "__init__.py" or p.parent.name != "labproject")


def test_the_layout_lists_every_package_and_module_once():
    listed = [name for row in layers() for name in row]
    units = {unit_of(p) for p in modules()} - {"urls"}
    assert sorted(set(listed)) == sorted(units)
    assert len(listed) == len(set(listed))


def test_imports_go_one_way_down_the_layout():
    rank = {name: i for i, row in enumerate(layers()) for name in row}
    upward = []
    for path in modules():
        if str(path.relative_to(ROOT)).startswith(ENTRY_POINTS):
            continue
        here = unit_of(path)
        upward += [f"{path.relative_to(ROOT)} imports {unit}" for unit in imported_units(path)
                   if unit in rank and here in rank and rank[unit] > rank[here]]
    assert upward == []
