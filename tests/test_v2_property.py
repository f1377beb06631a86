"""Property: for generated estimator calls, `--target v2` either migrates the call, and the job the
migrated program submits through azure-ai-ml has the v1 original's essence, or leaves it with an
`# estimig:` comment; a second run changes nothing. The calls are the v1 property test's."""

from __future__ import annotations

import os

import libcst as cst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimig.comments import PREFIX as COMMENT_PREFIX
from estimig.engine import migrate_source
from estimig.options import Options
from strategies import estimator_calls
from strategies.preamble import program

EXAMPLES = int(os.environ.get("ESTIMIG_PROPERTY_EXAMPLES", "100"))
V2 = Options.create(target="v2")
# Arguments --target v2 leaves for a later version (each refusal has its own test or noop fixture): the
# v1 calls are drawn without them, so that most generated calls exercise what v2 does migrate.
# Run-based compute (vm_size, no compute_target) is drawn as the v1 calls draw it: v2's serverless compute.
V2_LATER = {"inputs", "source_directory_data_store", "resume_from", "worker_count",
            "parameter_server_count", "pip_requirements_file", "pip_requirements_file_path",
            "conda_dependencies_file", "conda_dependencies_file_path", "custom_docker_base_image",
            "image_registry_details", "user_managed", "environment_definition"}


@st.composite
def v2_calls(draw):
    kind, kwargs = draw(estimator_calls())
    kwargs = {key: value for key, value in kwargs.items() if key not in V2_LATER}
    if "vm_size" not in kwargs:
        kwargs.setdefault("compute_target", "cluster")
    return kind, kwargs


def _migrated_once(source: str, path: str | None = None):
    """The migration (of a file at `path`, whose job's scripts estimig then reads), checked to parse and
    to be a fixed point; None when the call was left (with its comment, checked here)."""
    result = migrate_source(source, options=V2, path=path)
    cst.parse_module(result.code)
    assert migrate_source(result.code, options=V2, path=path).code == result.code, "a second run changed the code"
    if result.migrated == 0:
        assert COMMENT_PREFIX in result.code and result.findings, "an estimator was left without a comment"
        return None
    return result


def _workdir(tmp_path, script: str = "print('train')\n") -> str:
    workdir = tmp_path / "job"
    (workdir / "src").mkdir(parents=True, exist_ok=True)
    (workdir / "src" / "train.py").write_text(script)
    return str(workdir)


# A training script that reads a variable only v1's launchers set (Batch AI's).
_READS_V1_VARIABLE = "import os\nprint(os.environ.get('AZ_BATCHAI_TASK_INDEX'))\n"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(v2_calls(), st.booleans())
def test_v2_migration_is_essence_equal_and_idempotent(tmp_path, call, reads_v1_variable):
    """Migrated from next to its job's scripts, which estimig reads (torch.distributed needs it): a
    distributed job whose script reads a v1 launcher variable is left."""
    import os

    from estimig.oracle_v2 import check

    kind, kwargs = call
    source = program(kind, kwargs)
    workdir = _workdir(tmp_path, _READS_V1_VARIABLE if reads_v1_variable else "print('train')\n")
    result = _migrated_once(source, os.path.join(workdir, "before.py"))
    if result is None:
        return
    assert f"{kind}(" not in result.code
    assert not (reads_v1_variable and "Distribution(" in result.code), "a script reading AZ_BATCHAI_* was distributed"
    differences = check(source, result.code, workdir)
    assert not differences, f"{source}\n---\n{result.code}\n" + "\n".join(differences)


# HyperDrive over a generated call: the sampling, policy, goal and limits drawn too.
_FLAGS = ("--lr", "--batch-size", "--epochs", "--dropout", "--optimizer")
_NUMBER = st.floats(min_value=-5, max_value=5, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3))


@st.composite
def _expressions(draw):
    kind = draw(st.sampled_from(("choice", "choice-list", "uniform", "loguniform", "normal", "quniform", "randint")))
    if kind == "choice":
        values = draw(st.one_of(st.lists(st.integers(1, 512), min_size=1, max_size=4, unique=True),
                                st.lists(st.sampled_from(("adam", "sgd", "rmsprop")), min_size=1, max_size=3,
                                         unique=True)))
        return f"choice({', '.join(map(repr, values))})"
    if kind == "choice-list":
        return f"choice({draw(st.lists(_NUMBER, min_size=1, max_size=3, unique=True))!r})"
    if kind == "randint":
        return f"randint({draw(st.integers(1, 100))})"
    low, high = sorted(draw(st.lists(_NUMBER, min_size=2, max_size=2, unique=True)))
    return f"quniform({low}, {high}, {draw(st.integers(1, 4))})" if kind == "quniform" else f"{kind}({low}, {high})"


@st.composite
def sweeps(draw):
    kind, kwargs = draw(v2_calls())
    flags = draw(st.lists(st.sampled_from(_FLAGS), min_size=1, max_size=3, unique=True))
    sampling = draw(st.sampled_from(("RandomParameterSampling", "GridParameterSampling")))
    # A grid takes choices only (the SDK rejects anything else when the sampling is built).
    expressions = _expressions().filter(lambda e: e.startswith("choice")) if sampling.startswith("Grid") \
        else _expressions()
    space = ", ".join(f"{flag!r}: {draw(expressions)}" for flag in flags)
    policy = draw(st.sampled_from(("None", "BanditPolicy(slack_factor=0.2)",
                                   "BanditPolicy(evaluation_interval=3, slack_amount=0.1, delay_evaluation=2)",
                                   "MedianStoppingPolicy(delay_evaluation=4)", "NoTerminationPolicy()")))
    limits = f"max_total_runs={draw(st.integers(1, 50))}"
    if draw(st.booleans()):
        limits += f", max_concurrent_runs={draw(st.integers(1, 8))}"
    if draw(st.booleans()):
        limits += f", max_duration_minutes={draw(st.integers(1, 2000))}"
    goal = draw(st.sampled_from(("MAXIMIZE", "MINIMIZE")))
    source = program(kind, kwargs).replace(
        'run = Experiment(ws, "property").submit(est)\n',
        "from azureml.train.hyperdrive import *\n"
        f"sampling = {sampling}({{{space}}})\n"
        f"hdc = HyperDriveConfig(estimator=est, hyperparameter_sampling=sampling, policy={policy}, "
        f"primary_metric_name='accuracy', primary_metric_goal=PrimaryMetricGoal.{goal}, {limits})\n"
        'run = Experiment(ws, "property").submit(hdc)\n')
    return kind, source


@settings(max_examples=max(EXAMPLES // 2, 10), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sweeps())
def test_v2_sweep_is_essence_equal_and_idempotent(tmp_path, swept):
    from estimig.oracle import ExecutionFailed
    from estimig.oracle_v2 import check

    kind, source = swept
    result = _migrated_once(source)
    if result is None:
        return
    assert f"{kind}(" not in result.code and "HyperDriveConfig(" not in result.code
    try:
        differences = check(source, result.code, _workdir(tmp_path))
    except ExecutionFailed as exc:
        # Only the original may fail (the SDK rejects some drawn combinations: a grid over a
        # continuous range, a policy with both slacks); then nothing can have been proven.
        assert "before.py" in str(exc), exc
        return
    assert not differences, f"{source}\n---\n{result.code}\n" + "\n".join(differences)


def _on_assumption(source: str, name: str):
    """The migration under the named assumption, checked to be a fixed point; None when the call was
    left (with its comment)."""
    assumed = Options.create(target="v2", assume=(name,))
    result = migrate_source(source, options=assumed)
    assert migrate_source(result.code, options=assumed).code == result.code, "a second run changed the code"
    if result.migrated == 0:
        assert COMMENT_PREFIX in result.code and result.findings, "an estimator was left without a comment"
        return None
    assert result.code.count("# estimig: assumes ") == result.assumed
    return result


def _essence_equal_on(tmp_path, source: str, result, name: str) -> None:
    """The v2 oracle under the assumption; only the original may fail (the SDK rejects some drawn sweeps)."""
    from estimig.oracle import ExecutionFailed
    from estimig.oracle_v2 import check

    try:
        differences = check(source, result.code, _workdir(tmp_path), assume=(name,))
    except ExecutionFailed as exc:
        assert "before.py" in str(exc), exc
        return
    assert not differences, f"{source}\n---\n{result.code}\n" + "\n".join(differences)


# Datastore paths mounted in script_params, beside plain values: migrated only under read-only-mount.
_MOUNTED = st.sampled_from(['"mnist"', '"a/b"', '"./foo"', '"census/train/"']).map(
    lambda p: f"datastore.path({p}).as_mount()")


@st.composite
def mounting_calls(draw):
    from strategies.datasets import PLAIN_VALUES, script_params

    kind, kwargs = draw(v2_calls())
    kwargs["script_params"] = draw(script_params(st.one_of(_MOUNTED, PLAIN_VALUES)))
    return kind, kwargs


_FEW = max(EXAMPLES // 4, 10)


@settings(max_examples=_FEW, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mounting_calls())
def test_v2_mounts_are_essence_equal_under_read_only_mount(tmp_path, call):
    """read-only-mount: a call that mounts datastore paths migrates only on it, says so on the line,
    and is essence-equal under it (the oracle reads v1's mount as ro_mount only then)."""
    kind, kwargs = call
    source = program(kind, kwargs)
    mounts = ".as_mount()" in kwargs["script_params"]
    if mounts:
        assert migrate_source(source, options=V2).migrated == 0, "a mount migrated without its assumption"
    result = _on_assumption(source, "read-only-mount")
    if result is not None:
        assert (result.assumed == 1) == mounts
        _essence_equal_on(tmp_path, source, result, "read-only-mount")


@settings(max_examples=_FEW, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(v2_calls(), st.sampled_from(("metrics = run.get_metrics()\n", "runs = [run]\n",
                                    "run.register_model(model_name='m', model_path='outputs/m.pkl')\n")))
def test_v2_run_read_through_v1_is_essence_equal_under_its_assumption(tmp_path, call, reading):
    """v1-run-of-the-job: a run used in a way a v2 Job has no form for is left without the assumption;
    with it, the submit becomes SDK v1's Run of the v2 job, the rest of the program stays, and the job
    is essence-equal."""
    kind, kwargs = call
    source = program(kind, kwargs) + reading
    assert migrate_source(source, options=V2).migrated == 0
    result = _on_assumption(source, "v1-run-of-the-job")
    if result is not None:
        assert result.assumed == 1 and "run = Run(" in result.code and result.code.endswith(reading)
        _essence_equal_on(tmp_path, source, result, "v1-run-of-the-job")


@settings(max_examples=_FEW, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sweeps())
def test_v2_sweep_of_names_without_dashes_is_essence_equal_under_its_assumption(tmp_path, swept):
    """dashed-sampled-names: the same sweeps with the sampled names written without dashes are left
    without the assumption, and with it migrated as `--<name>` and essence-equal under it."""
    import re

    kind, source = swept
    source = re.sub(r"'--([\w-]+)': ", r"'\1': ", source)  # the sampling's keys only: script_params use "..."
    assert migrate_source(source, options=V2).migrated == 0
    result = _on_assumption(source, "dashed-sampled-names")
    if result is not None:
        assert result.assumed == 1 and "HyperDriveConfig(" not in result.code
        _essence_equal_on(tmp_path, source, result, "dashed-sampled-names")


@settings(max_examples=_FEW, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(v2_calls())
def test_v2_calls_without_docker_are_essence_equal_under_runs_in_a_container(tmp_path, call):
    """runs-in-a-container: the same calls with use_docker=False are left without the assumption; with
    it they migrate, say so on the line, and are essence-equal under it (the oracle reads v1's
    setting as making no difference only then)."""
    kind, kwargs = call
    kwargs = {**kwargs, "use_docker": "False"}
    source = program(kind, kwargs)
    assert migrate_source(source, options=V2).migrated == 0, "use_docker=False migrated without its assumption"
    result = _on_assumption(source, "runs-in-a-container")
    if result is not None:
        assert result.assumed == 1
        _essence_equal_on(tmp_path, source, result, "runs-in-a-container")
