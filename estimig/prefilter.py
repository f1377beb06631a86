"""The cheap text tests run before anything is parsed; kept free of heavy imports on purpose.

A file can only hold an estimator construction the engine migrates (or an estimator class used as a
value, or subclassed) when its text names both `azureml` and one of the estimator classes: the
engine recognises constructions by qualified names that end in one of these class names
(`estimig.facts.ESTIMATOR_CLASSES`), and the last segment of a qualified name is always spelled out
in the file (an import, an alias's source, or an attribute). Everything else is left unparsed, which
is what keeps a whole monorepo (or a site-packages full of azureml's own modules) cheap to check.
"""

NEEDLE = "azureml"
# Must cover every value of estimig.facts.ESTIMATOR_CLASSES (tests/test_bench.py checks it).
CLASS_NAMES = ("Estimator", "PyTorch", "TensorFlow", "Chainer", "SKLearn")
_CLASS_NAMES_BYTES = tuple(name.encode() for name in CLASS_NAMES)


def mentions_azureml(data: bytes | str) -> bool:
    return (NEEDLE.encode() if isinstance(data, bytes) else NEEDLE) in data


def may_hold_estimator(data: bytes | str) -> bool:
    """False when the text provably holds nothing the engine would change or report on."""
    if isinstance(data, bytes):
        return NEEDLE.encode() in data and any(name in data for name in _CLASS_NAMES_BYTES)
    return NEEDLE in data and any(name in data for name in CLASS_NAMES)
