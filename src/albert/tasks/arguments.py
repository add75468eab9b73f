"""Command-line flags generated from option dataclasses (`DataOptions`, `TrainArgs`), so that option names,
types and help have one source: the field, its annotation and its attribute docstring.

Generated flags default to "not given" (`argparse.SUPPRESS`): `given(namespace, cls)` returns only what
the user typed, which the entry points lay over their own task-specific defaults.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import types
import typing
from collections.abc import Iterable
from typing import Any, Literal


def field_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings (the string literal under each field) of a dataclass, by field name."""
    try:
        tree = ast.parse(inspect.getsource(cls))
    except (OSError, TypeError):  # source unavailable (e.g. a frozen install): no help, still works
        return {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for node, after in zip(body, body[1:]):
        is_field = isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
        if is_field and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            docs[node.target.id] = " ".join(str(after.value.value).split())  # type: ignore[union-attr]
    return docs


def _converter(annotation: Any) -> tuple[Any, dict[str, Any]]:
    """(kind, extra add_argument kwargs) for a field type: bool flags, choices for Literal, int/float/str."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _converter(args[0])
    if annotation is bool:
        return bool, {"action": argparse.BooleanOptionalAction}
    if origin is Literal:
        return str, {"choices": list(args)}
    if origin is list:
        return str, {"nargs": "+"}
    if origin is dict:  # KEY=VALUE pairs, parsed by the entry point (training.options.build_options)
        return str, {"nargs": "+", "metavar": "KEY=VALUE", "type": str}
    if annotation in (int, float, str):
        return annotation, {"type": annotation}
    return str, {"type": str}


def add_dataclass_arguments(
    parser: argparse.ArgumentParser | Any,
    cls: type,
    *,
    skip: Iterable[str] = (),
    defaults: dict[str, Any] | None = None,
    renames: dict[str, str] | None = None,
) -> None:
    """Add one `--field-name` flag per field of `cls` (minus `skip`); `defaults` only feed the help text,
    `renames` maps a field to a different flag (e.g. `output_dir` -> `--output`)."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    defaults = defaults or {}
    renames = renames or {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        _, kwargs = _converter(hints[f.name])
        default = defaults.get(f.name, f.default if f.default is not dataclasses.MISSING else None)
        help_text = docs.get(f.name, "").replace("%", "%%")  # argparse %-formats help strings
        help_text += f" (default: {default})" if default is not None else ""
        flags = [renames.get(f.name, "--" + f.name.replace("_", "-"))]
        if f.name in renames:
            flags.append("--" + f.name.replace("_", "-"))
        parser.add_argument(*flags, dest=f.name, default=argparse.SUPPRESS, help=help_text, **kwargs)


def given(namespace: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The fields of `cls` the user gave on the command line."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in vars(namespace).items() if k in names}
