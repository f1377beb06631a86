"""Hypothesis strategies for estimator calls, one module per concern.

Each `tests/strategies/<concern>.py` exports `kwargs(kind) -> strategy of dict[str, str]`: estimator
keyword -> Python source of its value, drawn only from what that concern handles. The property
test composes every module present, so the property grows with each concern.
"""

from __future__ import annotations

import importlib

from hypothesis import strategies as st

KINDS = ("Estimator", "PyTorch", "TensorFlow", "Chainer", "SKLearn")


def concern_strategies():
    from estimig.codemods import CONCERN_NAMES

    found = {}
    for name in CONCERN_NAMES:
        try:
            found[name] = importlib.import_module(f"strategies.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"strategies.{name}":
                raise
    return found


def accepted_arguments(kind: str) -> frozenset[str]:
    """The keyword arguments the SDK's class takes: strategies draw per concern, and e.g. SKLearn
    has no source_directory_data_store."""
    import inspect

    from strategies.preamble import IMPORTS

    module_name, _, class_name = IMPORTS[kind].removeprefix("from ").partition(" import ")
    cls = getattr(importlib.import_module(module_name), class_name)
    return frozenset(inspect.signature(cls.__init__).parameters) - {"self"}


@st.composite
def estimator_calls(draw, kinds=KINDS):
    """(kind, {keyword: source}) for one estimator construction."""
    kind = draw(st.sampled_from(kinds))
    kwargs: dict[str, str] = {}
    for module in concern_strategies().values():
        kwargs.update(draw(module.kwargs(kind)))
    accepted = accepted_arguments(kind)
    return kind, {key: value for key, value in kwargs.items() if key in accepted}
