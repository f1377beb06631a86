"""Inside a job: the trace recorder and the local `Run.get_context()`.

This file is copied into each run's shim folder as `sitecustomize.py` and put first on PYTHONPATH,
so every Python process of the job (mpirun ranks, torch workers, containers) loads it at start-up
without the job's code changing. It must therefore use the standard library only: containers
and virtualenvs do not have estimig installed.

What it records, in $ESTIMIG_TRACE_DIR/proc-<id>.json: argv, working directory, environment, and
every metric the job logs through `Run.get_context()`, which here returns a LocalRun instead of
the SDK's offline run that only prints.
"""

import atexit
import json
import os
import shutil
import sys

_TRACE_DIR = os.environ.get("ESTIMIG_TRACE_DIR")


def _proc_id():
    # mpirun ranks share one launch environment, so the rank identifies them; other launchers name them.
    if os.environ.get("ESTIMIG_PROC"):
        return os.environ["ESTIMIG_PROC"]
    if os.environ.get("OMPI_COMM_WORLD_RANK"):
        return "rank%s" % os.environ["OMPI_COMM_WORLD_RANK"]
    return "pid%d" % os.getpid()


_RECORD = {
    "proc": _proc_id(),
    "argv": list(sys.argv),
    "cwd": os.getcwd(),
    "env": dict(os.environ),
    "metrics": [],
    "uploads": [],
    "tags": {},
    "exception": None,
}


class _Experiment:
    def __init__(self, name):
        self.name = name


class LocalRun:
    """What `Run.get_context()` returns in a job run by the shim: records locally, reaches nothing."""

    def __init__(self):
        self.id = os.environ.get("AZUREML_RUN_ID", "local")
        self.number = 1
        self.experiment = _Experiment(os.environ.get("AZUREML_ARM_PROJECT_NAME", "local"))
        self.parent = None
        self.input_datasets = json.loads(os.environ.get("ESTIMIG_INPUT_DATASETS", "{}"))
        self._metrics = {}

    def _log(self, kind, name, value, description=""):
        _RECORD["metrics"].append({"kind": kind, "name": name, "value": value})
        self._metrics.setdefault(name, []).append(value)

    def log(self, name, value, description="", step=None):
        self._log("scalar", name, value)

    def log_list(self, name, value, description=""):
        self._log("list", name, list(value))

    def log_row(self, name, description=None, **kwargs):
        self._log("row", name, kwargs)

    def log_table(self, name, value, description=""):
        self._log("table", name, value)

    def log_image(self, name, path=None, plot=None, description=""):
        self._log("image", name, str(path) if path is not None else "<plot>")

    def log_accuracy_table(self, name, value, description=""):
        self._log("accuracy_table", name, value)

    def log_confusion_matrix(self, name, value, description=""):
        self._log("confusion_matrix", name, value)

    def log_predictions(self, name, value, description=""):
        self._log("predictions", name, value)

    def log_residuals(self, name, value, description=""):
        self._log("residuals", name, value)

    def upload_file(self, name, path_or_stream):
        target = os.path.join("outputs", "_uploads", name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(path_or_stream, target)
        _RECORD["uploads"].append(name)

    def upload_folder(self, name, path):
        shutil.copytree(path, os.path.join("outputs", "_uploads", name), dirs_exist_ok=True)
        _RECORD["uploads"].append(name + "/")

    def tag(self, key, value=None):
        _RECORD["tags"][key] = value

    def set_tags(self, tags):
        _RECORD["tags"].update(tags)

    def get_tags(self):
        return dict(_RECORD["tags"])

    def add_properties(self, properties):
        _RECORD["tags"].update({"property:" + k: v for k, v in properties.items()})

    def get_metrics(self, name=None, **kwargs):
        if name is not None:
            return {name: self._metrics.get(name)}
        return dict(self._metrics)

    def get_status(self):
        return "Running"

    def complete(self, *args, **kwargs):
        pass

    def fail(self, *args, **kwargs):
        pass

    def flush(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_RUN = None


def get_context(*args, **kwargs):
    global _RUN
    if _RUN is None:
        _RUN = LocalRun()
    return _RUN


class _RunPatcher:
    """Patches `Run.get_context` right after azureml.core.run is imported, if the job imports it."""

    target = "azureml.core.run"

    def find_spec(self, name, path=None, target=None):
        if name != self.target:
            return None
        import importlib.util

        sys.meta_path.remove(self)  # find the real module, not ourselves
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        real_exec = spec.loader.exec_module

        def exec_module(module):
            real_exec(module)
            module.Run.get_context = classmethod(lambda cls, *a, **k: get_context())

        spec.loader.exec_module = exec_module
        return spec


def _excepthook(kind, value, tb, _previous=sys.excepthook):
    _RECORD["exception"] = "%s: %s" % (kind.__name__, value)
    _previous(kind, value, tb)


def _write():
    try:
        path = os.path.join(_TRACE_DIR, "proc-%s.json" % _RECORD["proc"])
        with open(path + ".tmp", "w") as handle:
            json.dump(_RECORD, handle, default=repr)
        os.replace(path + ".tmp", path)
    except OSError:
        pass


# Only the job's own script is traced: a helper the job spawns (pip, a spawned worker) is not a rank.
_ACTIVE = bool(_TRACE_DIR) and os.path.basename(sys.argv[0] if sys.argv else "") == os.environ.get(
    "ESTIMIG_SCRIPT_NAME"
)

if _ACTIVE:
    sys.meta_path.insert(0, _RunPatcher())
    sys.excepthook = _excepthook
    atexit.register(_write)
