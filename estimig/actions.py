"""The GitHub Actions that load a file: which functions of it the Azure/aml-run action calls.

The `run_config.py` of the aml-run templates defines `main(workspace)` and returns an estimator:
nothing in the file submits it, so on its own the return is a handoff estimig cannot follow. The
caller is known, though, when the repository's workflows name it. aml-run v1 (its `code/main.py`
and `code/utils.py`, and `action.yml`: "a python script ... which returns an Estimator, Pipeline,
AutoMLConfig or ScriptRunConfig object") does, for each parameter set of
`.cloud/.azure/<parameters_file>` (`run.json` by default; a missing file is one empty set):
submits the run configuration YAML (`runconfig_yaml_file`, default `code/train/run_config.yml`) or
the pipeline YAML (`pipeline_yaml_file`, default `code/train/pipeline.yml`) when one exists, and
otherwise loads `runconfig_python_file` (default `code/train/run_config.py`, relative to the
checked-out repository, `.py` appended when missing) as a module, calls `runconfig_python_function_name`
(default `main`) with the workspace, and passes the result to `Experiment.submit(config=...,
tags=...)`; afterwards it reads only the Run (wait, metrics, portal URL), which is the same for a
ScriptRunConfig. So a value that function returns is submitted, exactly as `exp.submit(est)`.

Only what is certain counts: a step `uses: Azure/aml-run@v1...` or `@master` (the v1 line: older
refs, pinned to a commit before it, used other parameters) in a job that checks the repository out with `actions/checkout` at its root
(no `path:`, no other `repository:`) before that step, with a literal `parameters_file` (no
`${{ }}` expression), and a parameters file that is valid JSON (an object, or a list of objects)
with literal strings where it names the file and function. Anything else proves nothing.
"""

from __future__ import annotations

import json
import os

_WORKFLOWS = os.path.join(".github", "workflows")
_PARAMETERS_FOLDER = os.path.join(".cloud", ".azure")
_DEFAULT_PARAMETERS, _DEFAULT_SCRIPT, _DEFAULT_FUNCTION = "run.json", "code/train/run_config.py", "main"
_ACTION = "azure/aml-run@"
# What the action loads before the script, in order; when one exists, the script is never loaded.
_FIRST_KEYS = ("runconfig_yaml_file", "pipeline_yaml_file")
_DEFAULT_FIRST = ("code/train/run_config.yml", "code/train/pipeline.yml")
_MAX_BYTES = 1_000_000  # a workflow or parameters file is small; anything bigger is not one
_CACHE: dict[str, tuple[tuple, list[tuple[str, str, tuple[str, ...], str]]]] = {}


def aml_run_functions(path: str | None) -> dict[str, str]:
    """The functions of the file at `path` that an aml-run step calls with the workspace and whose
    result it submits: {function name: the workflow file that says so, relative to the repository}."""
    return {function: workflow for function, (workflow, first) in aml_run_steps_for(path).items() if first is None}


def aml_run_steps_for(path: str | None) -> dict[str, tuple[str, str | None]]:
    """{function name: (workflow, None)} for each function of the file at `path` an aml-run step
    names, or (workflow, yaml) when that step finds a YAML definition first, submits it, and never
    loads the script (yaml relative to the repository)."""
    if not path or path.startswith("<"):
        return {}
    root = _repository(os.path.dirname(os.path.abspath(path)))
    if root is None:
        return {}
    target = os.path.realpath(path)
    found: dict[str, tuple[str, str | None]] = {}
    for script, function, first, workflow in _calls(root):
        if script != target:
            continue
        preempting = next((f for f in first if os.path.exists(f)), None)
        shown = os.path.relpath(preempting, root).replace(os.sep, "/") if preempting else None
        if found.get(function, (None, ""))[1] is not None:  # a step that loads the script wins
            found[function] = (workflow, shown)
    return found


def _repository(folder: str) -> str | None:
    """The nearest folder at or above `folder` with `.github/workflows`, not above the repository
    root (the first with `.git`): where checkout puts the repository. A template folder that holds
    its own `.github` (copied as the root of a new repository) counts as that root."""
    while True:
        if os.path.isdir(os.path.join(folder, _WORKFLOWS)):
            return folder
        if os.path.exists(os.path.join(folder, ".git")):
            return None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _calls(root: str) -> list[tuple[str, str, tuple[str, ...], str]]:
    """(script's real path, function name, the paths of the YAML files the action tries first,
    workflow) for every parameter set of every aml-run step of the repository, read once per
    process while the workflow and parameter files stay as they were."""
    folder = os.path.join(root, _WORKFLOWS)
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith((".yml", ".yaml")))
    except OSError:
        return []
    watched = [os.path.join(folder, n) for n in names]
    parameters = os.path.join(root, _PARAMETERS_FOLDER)
    if os.path.isdir(parameters):
        watched += [os.path.join(parameters, n) for n in sorted(os.listdir(parameters))]
    key = tuple(_stamp(p) for p in watched)
    cached = _CACHE.get(root)
    if cached is not None and cached[0] == key:
        return cached[1]
    found = []
    for name in names:
        for parameters_file in _aml_run_steps(os.path.join(folder, name)):
            for script, function, first in _parameter_sets(os.path.join(root, _PARAMETERS_FOLDER, parameters_file)):
                script = script if script.endswith(".py") else f"{script}.py"
                found.append((os.path.realpath(os.path.join(root, script)), function,
                              tuple(os.path.join(root, f) for f in first), f"{_WORKFLOWS}/{name}".replace(os.sep, "/")))
    _CACHE[root] = (key, found)
    return found


def _stamp(path: str) -> tuple:
    try:
        status = os.stat(path)
    except OSError:
        return (path, None)
    return (path, status.st_mtime_ns, status.st_size)


def _aml_run_steps(workflow: str) -> list[str]:
    """The parameters file of each aml-run v1 step that runs on the repository checked out at its root."""
    import yaml

    try:
        if os.path.getsize(workflow) > _MAX_BYTES:
            return []
        with open(workflow, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return []
    jobs = document.get("jobs") if isinstance(document, dict) else None
    found = []
    for job in (jobs.values() if isinstance(jobs, dict) else ()):
        steps = job.get("steps") if isinstance(job, dict) else None
        checked_out = False
        for step in steps if isinstance(steps, list) else ():
            if not isinstance(step, dict):
                continue
            uses = step.get("uses")
            inputs = step.get("with") if isinstance(step.get("with"), dict) else {}
            if not isinstance(uses, str):
                continue
            action = uses.strip().lower()
            if action.startswith("actions/checkout@"):
                checked_out = not ({"path", "repository"} & set(inputs))
            elif action.startswith(_ACTION) and _is_v1(action[len(_ACTION):]) and checked_out:
                parameters_file = inputs.get("parameters_file", _DEFAULT_PARAMETERS)
                if isinstance(parameters_file, str) and "${{" not in parameters_file:
                    found.append(parameters_file)
    return found


def _is_v1(ref: str) -> bool:
    """A ref that runs aml-run's v1 contract: a v1 tag, or `master`, which is resolved when the
    workflow runs, to the repository's last code (the v1 contract; the repository is archived)."""
    return ref.startswith("v1") or ref == "master"


def _parameter_sets(path: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(script, function, the YAML files the action tries first) for each parameter set of an
    aml-run parameters file; the defaults when the file does not exist (the action then runs once
    with none); nothing when it cannot be read."""
    if not os.path.exists(path):
        return [(_DEFAULT_SCRIPT, _DEFAULT_FUNCTION, _DEFAULT_FIRST)]
    try:
        if os.path.getsize(path) > _MAX_BYTES:
            return []
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return []
    sets = data if isinstance(data, list) else [data]
    found = []
    for parameters in sets:
        if not isinstance(parameters, dict):
            return []
        script = parameters.get("runconfig_python_file", _DEFAULT_SCRIPT)
        function = parameters.get("runconfig_python_function_name", _DEFAULT_FUNCTION)
        first = tuple(parameters.get(key, default) for key, default in zip(_FIRST_KEYS, _DEFAULT_FIRST))
        if isinstance(script, str) and isinstance(function, str) and function.isidentifier() \
                and all(isinstance(f, str) for f in first):
            found.append((script, function, first))
    return found
