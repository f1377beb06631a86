"""Options for one migration run, resolved from the config file and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

ENVIRONMENT_MODES = ("explicit", "curated")
# Bytes of Python source analysed at most per file: the syntax tree and its metadata take hundreds
# of times the file's size (a 1 MB file peaks near 600 MB), and real submit scripts are far smaller.
DEFAULT_MAX_FILE_SIZE = 1_000_000


_SIZE_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "kib": 1024, "mib": 1024 ** 2,
               "gib": 1024 ** 3}


def parse_size(value: "str | int") -> int:
    """A size in bytes from `1000000`, `500KB`, `2MB` or `1MiB`; ValueError saying what is accepted."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value)) if not isinstance(value, bool) else None
    if match is None or match.group(2).lower() not in _SIZE_UNITS or float(match.group(1)) < 1:
        raise ValueError(f"invalid size {value!r} (write bytes, or a number with KB, MB or MiB: 2MB)")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


@dataclass(frozen=True)
class Options:
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    # explicit: an Environment equal to what the estimator built (provable); curated: the Azure ML
    # curated environment the migration guide names (a documented, deliberate difference).
    environment: str = "explicit"
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    _modules: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def create(cls, only=(), skip=(), environment="explicit", max_file_size=DEFAULT_MAX_FILE_SIZE) -> "Options":
        """Validated options; concern modules (and LibCST) are only imported when first needed."""
        from estimig.codemods import ALWAYS_REQUIRED, CONCERN_NAMES

        unknown = [name for name in (*only, *skip) if name not in CONCERN_NAMES]
        if unknown:
            raise ValueError(f"unknown concern '{unknown[0]}' (known: {', '.join(CONCERN_NAMES)})")
        required = [name for name in skip if name in ALWAYS_REQUIRED]
        if required:
            raise ValueError(f"the '{required[0]}' concern cannot be skipped: every estimator needs it")
        if environment not in ENVIRONMENT_MODES:
            raise ValueError(f"unknown environment mode '{environment}' (known: {', '.join(ENVIRONMENT_MODES)})")
        return cls(only=tuple(only), skip=tuple(skip), environment=environment, max_file_size=max_file_size)

    @property
    def concerns(self) -> dict[str, ModuleType]:
        """The enabled concern modules by name, in planning order."""
        if not self._modules:
            from estimig.codemods import load_concerns

            self._modules.update((name, module) for name, module in load_concerns().items()
                                 if (not self.only or name in self.only) and name not in self.skip)
        return self._modules

    def portable(self) -> "Options":
        """A copy without module objects, to send to worker processes."""
        return Options(only=self.only, skip=self.skip, environment=self.environment, max_file_size=self.max_file_size)
