"""Options for one migration run, resolved from the config file and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

ENVIRONMENT_MODES = ("explicit", "cached-image", "curated", "conda-file")
# inline: a short `# estimig:` comment above each call left as it was; none: report only.
COMMENT_MODES = ("inline", "none")
# v1: ScriptRunConfig (azureml-core); v2: an azure-ai-ml command() job (codemods/v2/, docs/v2.md).
TARGETS = ("v1", "v2")


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
    _modules: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def create(cls, only=(), skip=(), environment="explicit", comments="inline", assume=(),
               target="v1") -> "Options":
        """Validated options; concern modules (and LibCST) are only imported when first needed."""
        from estimig.codemods import CONCERN_NAMES

        unknown = [name for name in (*only, *skip) if name not in CONCERN_NAMES]
        if unknown:
            raise ValueError(f"unknown concern '{unknown[0]}' (known: {', '.join(CONCERN_NAMES)})")
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
                   assume=resolve(assume), target=target)

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
                       assume=self.assume, target=self.target)

    def assumes(self, name: str) -> bool:
        return name in self.assume
