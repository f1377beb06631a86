"""Options for one migration run, resolved from the config file and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

ENVIRONMENT_MODES = ("explicit", "cached-image", "curated", "conda-file")
# inline: a short `# estimig:` comment above each call left as it was; none: report only.
COMMENT_MODES = ("inline", "none")
# v1: ScriptRunConfig (azureml-core); v2: an azure-ai-ml command() job (codemods/v2/, docs/v2.md).
TARGETS = ("v1", "v2")
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
    # How framework estimators' environments are written (docs/concerns.md, environment):
    # explicit: the SDK's full build, as statements; cached-image: the private prebuilt image where
    # the estimator used it (the old payload); curated: the curated environment the migration guide
    # names (a documented, deliberate difference); conda-file: the full build as a conda file.
    environment: str = "explicit"
    comments: str = "inline"
    # Named assumptions the user asked for (estimig/assumptions.py); empty: proven-only.
    assume: frozenset[str] = frozenset()
    target: str = "v1"
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    _modules: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def create(cls, only=(), skip=(), environment="explicit", comments="inline", assume=(),
               target="v1", max_file_size=DEFAULT_MAX_FILE_SIZE) -> "Options":
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
        if comments not in COMMENT_MODES:
            raise ValueError(f"unknown comments mode '{comments}' (known: {', '.join(COMMENT_MODES)})")
        if target not in TARGETS:
            raise ValueError(f"unknown target '{target}' (known: {', '.join(TARGETS)})")
        if target == "v2" and environment != "explicit":
            # The v2 environment concern writes out the estimator's own environment; nothing reads the mode.
            raise ValueError(f"--environment {environment} is a v1 mode; --target v2 writes out the estimator's own "
                             "environment (docs/v2.md)")
        from estimig.assumptions import resolve

        return cls(only=tuple(only), skip=tuple(skip), environment=environment, comments=comments,
                   assume=resolve(assume), target=target, max_file_size=max_file_size)

    @property
    def concerns(self) -> dict[str, ModuleType]:
        """The enabled concern modules by name, in planning order."""
        if not self._modules:
            from estimig.codemods import load_concerns

            self._modules.update((name, module) for name, module in load_concerns(self.target).items()
                                 if (not self.only or name in self.only) and name not in self.skip)
        return self._modules

    def portable(self) -> "Options":
        """A copy without module objects, to send to worker processes."""
        return Options(only=self.only, skip=self.skip, environment=self.environment, comments=self.comments,
                       assume=self.assume, target=self.target,
                       max_file_size=self.max_file_size)

    def assumes(self, name: str) -> bool:
        return name in self.assume
