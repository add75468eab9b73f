"""The layers of docs/architecture.md: each package of `albert` imports only the layers below it (lazy
imports inside functions included), so there are no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Layer -> what it may import (besides itself). Keep in step with docs/architecture.md.
BASE = {
    "albert.hub",
    "albert.hub_push",
    "albert.network",
    "albert.atomic_files",
    "albert.cli_options",
    "albert.devices",
    "albert.loading",
}
ALLOWED = {
    "albert.hub": {"albert.network"},
    "albert.hub_push": {"albert.hub"},
    "albert.network": set(),
    "albert.atomic_files": set(),
    "albert.cli_options": set(),
    "albert.devices": set(),
    "albert.loading": {"albert.hub", "albert.devices"},
    "albert.config_keys": set(),
    "albert.presets": set(),
    "albert.config_checks": set(),
    "albert.config": BASE | {"albert.config_keys", "albert.presets", "albert.config_checks"},
    "albert.checkpoint": BASE | {"albert.config"},
    "albert.model": BASE | {"albert.config", "albert.checkpoint"},
    "albert.tokenizer": BASE,
    "albert.data": BASE | {"albert.config", "albert.tokenizer"},
    "albert.tasks": BASE
    | {"albert.config", "albert.checkpoint", "albert.model", "albert.tokenizer", "albert.data"},
    # the TensorFlow classes reuse the torch side's output classes (same field names)
    "albert.tf": BASE | {"albert.config", "albert.checkpoint", "albert.model"},
    "albert.flax": BASE | {"albert.config", "albert.checkpoint", "albert.model"},
    "albert.runtime": BASE | {"albert.config", "albert.checkpoint", "albert.model"},
    "albert.pipelines": BASE
    | {"albert.config", "albert.checkpoint", "albert.model", "albert.tokenizer", "albert.tasks"},
    "albert.serve": BASE
    | {
        "albert.config",
        "albert.checkpoint",
        "albert.model",
        "albert.tokenizer",
        "albert.tasks",
        "albert.pipelines",
    },
    "albert.training": BASE
    | {
        "albert.config",
        "albert.checkpoint",
        "albert.model",
        "albert.tokenizer",
        "albert.data",
        "albert.tasks",
    },
}


def layer(module: str) -> str:
    """`albert.model.tasks` -> `albert.model`; top-level modules (`albert.cli`) are their own layer."""
    parts = module.split(".")
    return ".".join(parts[:2])


def imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "albert":
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "albert"}
    return out


def test_each_layer_imports_only_the_layers_below_it():
    wrong = []
    for path in sorted((SRC / "albert").rglob("*.py")):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        own = layer(module)
        if own not in ALLOWED:  # the package root, __main__, cli: may import everything
            continue
        for target in imports(path):
            if layer(target) != own and layer(target) not in ALLOWED[own]:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(wrong)
