"""Every fixture pair: exact output, fixed point, and oracle equality with the real SDK.

A pair is a script (before.py, after.py) or a notebook (before.ipynb, after.ipynb); a notebook goes
through the same checks as a script, migrated as one program (its cells in order) and run by the
oracle as that program.
"""

from __future__ import annotations

import pytest

from estimig.actions import aml_run_functions
from estimig.comments import PREFIX as COMMENT_PREFIX
from estimig.result import Severity
from fixture_support import assert_same_text, code_lines, copy_scenario, params, scenarios, without_lines

PAIRS = [s for s in scenarios() if not s.is_noop]
NOOPS = [s for s in scenarios() if s.is_noop]


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith(COMMENT_PREFIX)


def test_every_scenario_is_a_pair_or_a_named_noop():
    for scenario in scenarios():
        assert (scenario.after is None) == scenario.is_noop, (
            f"{scenario.id}: a scenario without its after file must be named noop_*, and a noop_* has none")


def test_a_folder_holds_one_kind_of_pair():
    ids = [s.id for s in scenarios()]
    assert len(ids) == len(set(ids)), "a scenario folder holds a script pair or a notebook pair, not both"
    assert any(s.is_notebook for s in PAIRS), "no notebook pair: the notebook checks would prove nothing"


@pytest.mark.parametrize("scenario", params(PAIRS))
def test_migrates_to_expected(scenario):
    result = scenario.migrate(scenario.before)
    assert_same_text(scenario.after, result.code, scenario.id)
    assert result.migrated >= 1, result.findings
    assert not [f for f in result.findings if f.severity is Severity.ERROR]


@pytest.mark.parametrize("scenario", params(PAIRS))
def test_migration_is_a_fixed_point(scenario):
    again = scenario.migrate(scenario.after)
    assert_same_text(scenario.after, again.code, f"{scenario.id} (second run)")


@pytest.mark.parametrize("scenario", params(NOOPS))
def test_noop_leaves_the_code_as_it_was(scenario):
    """A noop changes no code: the only lines it may add are `# estimig:` comments, one above
    each estimator it leaves, and each left estimator is reported."""
    result = scenario.migrate(scenario.before)
    assert result.migrated == 0
    added = [line for line in code_lines(result.code, scenario.is_notebook) if _is_comment(line)]
    had = [line for line in code_lines(scenario.before, scenario.is_notebook) if _is_comment(line)]
    assert not had, f"{scenario.id}: a noop's before file should not already carry estimig comments"
    assert_same_text(without_lines(scenario.before, scenario.is_notebook, _is_comment),
                     without_lines(result.code, scenario.is_notebook, _is_comment), scenario.id)
    assert len(added) == result.left, "every estimator left behind carries exactly one estimig comment"
    assert len([f for f in result.findings if "left as it was" in f.message]) == result.left
    assert scenario.migrate(result.code).code == result.code, "a second run changed the code"


@pytest.mark.parametrize("scenario", params(PAIRS))
def test_oracle_equal(scenario, tmp_path):
    """The pair is oracle-equal; the framework-image-cache normalization (the original re-run with the
    SDK's full build forced) only for a pair whose cached-image output differs, which is then proven
    without it (next test): every other default output equals the estimator's own payload."""
    from estimig.oracle import command_line, compare, execute, reruns

    with command_line(scenario.command_line):
        _assert_oracle_equal(scenario, tmp_path, compare, execute, reruns)


def _assert_oracle_equal(scenario, tmp_path, compare, execute, reruns) -> None:
    workdir = copy_scenario(scenario, tmp_path)
    original = scenario.program(scenario.before)
    before = execute(original, "before.py", str(workdir), assume=scenario.assume)
    after = execute(scenario.program(scenario.after), "after.py", str(workdir), assume=scenario.assume)
    actions = aml_run_functions(str(workdir / "before.py"))
    assert before or actions, "the fixture submits or builds nothing: the oracle would prove nothing"
    differences = compare(before, after)
    if differences and scenario.cached_image_after is not None:
        differences = compare(before, after, *[execute(original, "before.py", str(workdir), patch=patch,
                                                       assume=scenario.assume) for patch in reruns()])
    assert not differences, "\n".join(differences)
    for action in actions:
        # As the workflow's aml-run step runs it: loaded as a module, the function's result submitted.
        before = execute(original, "before.py", str(workdir), assume=scenario.assume, action=action)
        after = execute(scenario.program(scenario.after), "after.py", str(workdir), assume=scenario.assume,
                        action=action)
        assert before, f"the aml-run action's {action}() submits nothing: the oracle would prove nothing"
        differences = compare(before, after)
        assert not differences, f"run by the aml-run action ({action}()): " + "\n".join(differences)


CACHED_IMAGE = [s for s in PAIRS if s.cached_image_after is not None]


@pytest.mark.parametrize("scenario", params(PAIRS))
def test_cached_image_mode_is_the_old_output(scenario):
    """--environment cached-image writes what estimig wrote before the full build became the default:
    after.cached-image where the two differ, else after itself."""
    from estimig.options import Options

    expected = scenario.cached_image_after or scenario.after
    options = Options.create(environment="cached-image")
    assert_same_text(expected, scenario.migrate(scenario.before, options).code, f"{scenario.id} (cached-image)")
    assert_same_text(expected, scenario.migrate(expected, options).code, f"{scenario.id} (cached-image, second run)")


@pytest.mark.parametrize("scenario", params(CACHED_IMAGE))
def test_cached_image_output_is_oracle_equal_without_normalizing_the_image(scenario, tmp_path):
    from estimig.oracle import command_line, compare, execute

    workdir = copy_scenario(scenario, tmp_path)
    with command_line(scenario.command_line):
        before = execute(scenario.program(scenario.before), "before.py", str(workdir), assume=scenario.assume)
        after = execute(scenario.program(scenario.cached_image_after), "after.py", str(workdir),
                        assume=scenario.assume)
    differences = compare(before, after)
    assert not differences, "\n".join(differences)


def test_cached_image_outputs_name_the_private_registry_and_defaults_never_do():
    for scenario in PAIRS:
        assert "viennaprivate" not in scenario.after, f"{scenario.id}: the default output names a private registry"
    assert any("viennaprivate" in s.cached_image_after for s in CACHED_IMAGE)


def test_the_oracle_runs_a_program_as_python_file_py_without_the_callers_options(tmp_path, monkeypatch):
    """argparse in the program sees `python before.py` (no options), not the test runner's own argv."""
    import sys

    from estimig.oracle import execute

    monkeypatch.setattr(sys, "argv", ["pytest", "-p", "no:cacheprovider"])
    (tmp_path / "src").mkdir()
    program = ("import argparse\nfrom azureml.core import Experiment, Workspace\n"
               "from azureml.train.estimator import Estimator\n"
               "args = argparse.ArgumentParser().parse_args()\nws = Workspace.from_config()\n"
               "Experiment(ws, 'x').submit(Estimator(source_directory='src', entry_script='t.py', "
               "compute_target='cpu'))\n")
    assert len(execute(program, "before.py", str(tmp_path))) == 1
    assert sys.argv == ["pytest", "-p", "no:cacheprovider"]


def test_the_oracle_runs_a_program_with_the_options_it_is_given(tmp_path):
    """A fixture's `command_line` file: both programs run as `python before.py OPTIONS`."""
    from estimig.oracle import command_line, execute

    (tmp_path / "src").mkdir()
    program = ("import argparse\nfrom azureml.core import Experiment, Workspace\n"
               "from azureml.train.estimator import Estimator\np = argparse.ArgumentParser()\n"
               "p.add_argument('--target', required=True)\nargs = p.parse_args()\nws = Workspace.from_config()\n"
               "Experiment(ws, 'x').submit(Estimator(source_directory='src', entry_script='t.py', "
               "compute_target=args.target))\n")
    with command_line(["--target", "gpu-cluster"]):
        [submitted] = execute(program, "before.py", str(tmp_path))
    assert submitted["target"] == "gpu-cluster"
    with pytest.raises(SystemExit):
        execute(program, "before.py", str(tmp_path))  # without it, argparse exits as it would


PATH_COMMAND_LINES = ["--cluster c", "--cluster c --quick", "--cluster c --epochs 3", "--cluster c --quick --epochs 0",
                      "--cluster c --limit 0 --tag t", "--cluster c --tag ''", "--cluster c --quick --limit 5 --tag x"]


@pytest.mark.parametrize("options", PATH_COMMAND_LINES)
def test_a_dict_changed_on_some_paths_is_oracle_equal_on_every_path(options, tmp_path):
    """The pair's arguments are read from the dict at run time: the same as the estimator's on each
    path the options choose, not only on the one its command_line file takes."""
    import shlex

    from estimig.oracle import check, command_line

    scenario = next(s for s in PAIRS if s.id == "arguments/dict_changed_on_some_paths_by_options")
    workdir = copy_scenario(scenario, tmp_path)
    with command_line(shlex.split(options)):
        assert not check(scenario.before, scenario.after, str(workdir))
