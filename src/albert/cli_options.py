"""Command-line flags generated from option dataclasses (`DataOptions`, `TrainArgs`, ...), so that option
names, types and help have one source: the field, its annotation and its attribute docstring. Used by every
command of `albert.cli` (finetune, pretrain, ...).

Generated flags default to "not given" (`argparse.SUPPRESS`): `given(namespace, cls)` returns only what
the user typed, which the entry points lay over their own task-specific defaults. `build_options` lays
them over a YAML file's values (`read_config_file`); priority: dataclass default < YAML < command line.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
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


def _number_or_none(kind: type) -> Callable[[str], Any]:
    """argparse `type` for an optional number: "none" (any case) -> None, else `kind(text)`."""

    def parse(text: str) -> Any:
        return None if text.strip().lower() == "none" else kind(text)

    parse.__name__ = kind.__name__  # argparse names it in "invalid float value: 'x'"
    return parse


def _converter(annotation: Any) -> tuple[Any, dict[str, Any]]:
    """(kind, extra add_argument kwargs) for a field type: bool flags, choices for Literal, int/float/str."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        kind, kwargs = _converter(args[0])
        if args[0] in (
            int,
            float,
        ):  # an optional number: "None" on the command line is None, as its help says
            kwargs["type"] = _number_or_none(args[0])
        return kind, kwargs
    if annotation is bool:
        return bool, {"action": argparse.BooleanOptionalAction}
    if origin is Literal:
        return str, {"choices": list(args)}
    # Lists and KEY=VALUE pairs (parsed by the entry point, build_options): a flag given twice adds to
    # what it gave before (`--model-config a=1 --model-config b=2`), instead of silently replacing it.
    if origin is list:
        return str, {"nargs": "+", "action": "extend"}
    if origin is dict:
        return str, {"nargs": "+", "metavar": "KEY=VALUE", "type": str, "action": "extend"}
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
    show_defaults: bool = True,
) -> None:
    """Add one `--field-name` flag per field of `cls` (minus `skip`); `defaults` only feed the help text
    (none with `show_defaults=False`, where the defaults come from elsewhere, e.g. a saved model),
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
        help_text += f" (default: {default})" if default is not None and show_defaults else ""
        flags = [renames.get(f.name, "--" + f.name.replace("_", "-"))]
        if f.name in renames:
            flags.append("--" + f.name.replace("_", "-"))
        parser.add_argument(*flags, dest=f.name, default=argparse.SUPPRESS, help=help_text, **kwargs)


def given(namespace: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The fields of `cls` the user gave on the command line."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in vars(namespace).items() if k in names}


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """(the non-None type, whether None is allowed) for `T | None`."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else str), True
    return annotation, False


def _parse_mapping(items: list[str]) -> dict[str, Any]:
    import yaml

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected key=value, got {item!r}")
        out[key] = yaml.safe_load(value)
    return out


def add_dataclass_flags(parser: argparse.ArgumentParser, cls: type, title: str) -> None:
    """Add one flag per field of `cls` in a group `title` (default SUPPRESS: only given flags reach the
    namespace, to be laid over the YAML values by `build_options`)."""
    add_dataclass_arguments(parser.add_argument_group(title), cls)


def overlay(
    base: dict[str, Any], top: dict[str, Any], exclusive: Iterable[tuple[str, str]] = ()
) -> dict[str, Any]:
    """`top`'s values over `base`'s. Where `top` sets one option of an exclusive pair (warmup in steps or as
    a ratio) and not the other, `base`'s value of the other is dropped: the later source chose the form."""
    merged = dict(base)
    for a, b in exclusive:
        for given, other in ((a, b), (b, a)):
            if top.get(given) is not None and other not in top:
                merged.pop(other, None)
    merged.update(top)
    return merged


def build_options(
    cls: type,
    file_values: dict[str, Any],
    args: argparse.Namespace,
    exclusive: Iterable[tuple[str, str]] = (),
    **fixed: Any,
) -> Any:
    """`cls` from YAML values overridden by the flags given on the command line (`overlay`)."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(file_values) - names)
    if unknown:
        raise ValueError(f"unknown option(s) in the config file: {', '.join(unknown)}")
    flags = {}  # the options given on the command line
    for name in names:
        if hasattr(args, name):
            value = getattr(args, name)
            if typing.get_origin(_base_type(typing.get_type_hints(cls)[name])[0]) is dict:
                value = {**file_values.get(name, {}), **_parse_mapping(value)}
            flags[name] = value
    values = overlay(file_values, flags, exclusive)
    values.update(fixed)
    return cls(**values)


def read_config_file(path: str | None) -> dict[str, Any]:
    """A YAML mapping (`{}` when no file is given)."""
    if path is None:
        return {}
    import yaml

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"config file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ValueError(f"{p} is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ValueError(f"{p} must hold a mapping of option names to values")
    return data
