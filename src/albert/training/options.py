"""Command-line flags from option dataclasses: one source of truth for names, defaults and help.

Each dataclass field becomes `--field-name`; its attribute docstring is the help text. Values come from,
in increasing priority: the dataclass default, a YAML file (`--config`), the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

from albert.tasks.arguments import add_dataclass_arguments  # the flag generator shared with finetune


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


def build_options(cls: type, file_values: dict[str, Any], args: argparse.Namespace, **fixed: Any) -> Any:
    """`cls` from YAML values overridden by the flags given on the command line."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(file_values) - names)
    if unknown:
        raise ValueError(f"unknown option(s) in the config file: {', '.join(unknown)}")
    values = dict(file_values)
    for name in names:
        if hasattr(args, name):
            value = getattr(args, name)
            if typing.get_origin(_base_type(typing.get_type_hints(cls)[name])[0]) is dict:
                value = {**values.get(name, {}), **_parse_mapping(value)}
            values[name] = value
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
