"""estimig: migrate Azure ML SDK v1 Estimators to ScriptRunConfig, safely and provably."""

__version__ = "0.1.0"

# Kept lazy so that `estimig --help` and the pre-commit path on a file without azureml
# never pay for importing LibCST.
__all__ = ["migrate_source", "Result", "Finding", "__version__"]


def __getattr__(name):
    if name == "migrate_source":
        from estimig.engine import migrate_source

        return migrate_source
    if name in ("Result", "Finding"):
        from estimig import result

        return getattr(result, name)
    raise AttributeError(name)
