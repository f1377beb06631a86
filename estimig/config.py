"""Settings from `[tool.estimig]` in pyproject.toml or from `.estimig.yaml` / `estimig.yaml`.

The file is found by walking up from the first path given; command-line flags override it. An
unknown key is an error that names the key, so a typo never silently does nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

YAML_NAMES = (".estimig.yaml", "estimig.yaml")
KEYS = {
    "only": list,
    "skip": list,
    "exclude": list,
    "environment": str,
    "assume": list,
    "comments": str,
    "target": str,  # "v1" or "v2" (Options.create checks the value)
    "jobs": int,
    "strict": bool,
    "respect_gitignore": bool,
    "follow_symlinks": bool,
    "max_file_size": (int, str),  # bytes, or "2MB"
    # The runtime shim's own section (datasets, datastores, compute layout); it validates it itself.
    "runtime": dict,
}


class ConfigError(Exception):
    """One-line description of what is wrong with the config file."""


@dataclass(frozen=True)
class Config:
    path: str | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def find_config(start: str) -> str | None:
    folder = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        for name in YAML_NAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return candidate
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate) and _pyproject_section(candidate) is not None:
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load_config(path: str | None = None, start: str = ".") -> Config:
    path = path or find_config(start)
    if path is None:
        return Config()
    if path.endswith(".toml"):
        raw = _pyproject_section(path) or {}
    else:
        import yaml

        try:
            with open(path, encoding="utf-8") as handle:
                raw = yaml.safe_load(handle) or {}
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: cannot read config: not UTF-8 ({exc.reason} at byte {exc.start})") from None
        except (OSError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"{path}: cannot read config{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a mapping of keys to values")
    values = {}
    for key, value in raw.items():
        normalized = str(key).replace("-", "_")
        if normalized not in KEYS:
            raise ConfigError(f"{path}: unknown key '{key}' (known: {', '.join(sorted(KEYS))})")
        expected = KEYS[normalized]
        if isinstance(value, str) and expected is list:
            value = [value]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            names = {list: "a list", str: "a string", int: "an integer", bool: "a boolean (true/false)", dict: "a table",
                     (int, str): "a size (bytes, or a string such as \"2MB\")"}
            raise ConfigError(f"{path}: '{key}' must be {names[expected]}, not {type(value).__name__}")
        if expected is list and not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{path}: '{key}' must be a list of strings")
        if normalized == "jobs" and value < 1:
            raise ConfigError(f"{path}: 'jobs' must be at least 1, not {value}")
        try:
            values[normalized] = _checked(normalized, value)
        except ValueError as exc:
            raise ConfigError(f"{path}: '{key}': {exc}") from None
    return Config(path=path, values=values)


def _checked(key: str, value: Any) -> Any:
    """A value the rest of estimig accepts, checked here so that the error names the file and key."""
    from estimig.options import Options, parse_size

    if key in ("only", "skip", "environment"):
        Options.create(**{key: value})
    elif key == "exclude":
        from estimig.discovery import exclude_spec

        exclude_spec(value)
    elif key == "max_file_size":
        return parse_size(value)
    return value


def _pyproject_section(path: str) -> dict | None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read pyproject.toml: {exc}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table ([tool.estimig]), not {type(tool).__name__}")
    return tool.get("estimig")
