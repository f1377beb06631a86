"""Options for one migration run, resolved from the config file and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

ENVIRONMENT_MODES = ("explicit", "curated")


@dataclass(frozen=True)
class Options:
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    # explicit: an Environment equal to what the estimator built (provable); curated: the Azure ML
    # curated environment the migration guide names (a documented, deliberate difference).
    environment: str = "explicit"
    concerns: dict[str, ModuleType] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def create(cls, only=(), skip=(), environment="explicit") -> "Options":
        from estimig.codemods import load_concerns

        available = load_concerns()
        unknown = [name for name in (*only, *skip) if name not in available]
        if unknown:
            raise ValueError(f"unknown concern '{unknown[0]}' (known: {', '.join(available)})")
        if environment not in ENVIRONMENT_MODES:
            raise ValueError(f"unknown environment mode '{environment}' (known: {', '.join(ENVIRONMENT_MODES)})")
        enabled = {name: module for name, module in available.items()
                   if (not only or name in only) and name not in skip}
        return cls(only=tuple(only), skip=tuple(skip), environment=environment, concerns=enabled)
