"""The arguments concern on a script_params dict changed on some paths to the call only."""

from __future__ import annotations

import pytest

from fixture_support import migrate_text

BASE = '''\
import sys
from azureml.core import Experiment, Workspace
from azureml.train.estimator import Estimator

ws = Workspace.from_config()
params = {"--lr": 0.1}
{changes}
est = Estimator(source_directory="src", entry_script="train.py", compute_target="cpu", script_params=params)
{use}
'''


def _migrate(changes: str, use: str = 'Experiment(ws, "e").submit(est)'):
    return migrate_text(BASE.replace("{changes}", changes).replace("{use}", use), ".py", "<string>")


def test_keys_added_on_some_paths_are_read_from_the_dict():
    result = _migrate('if len(sys.argv) > 1:\n    params["--epochs"] = 3\n')
    assert result.migrated == 1
    assert '*(["--epochs", 3] if "--epochs" in params else [])' in result.code  # one literal: written out


def test_a_value_that_differs_by_path_is_read_from_the_dict():
    result = _migrate('if len(sys.argv) > 1:\n    params["--lr"] = 0.5\nif len(sys.argv) > 2:\n    params["--n"] = 3\n'
                      'else:\n    params["--n"] = len(sys.argv)\n')
    assert result.migrated == 1
    assert '"--lr", params["--lr"], "--n", params["--n"]' in result.code


@pytest.mark.parametrize("changes,reason", [
    ('if len(sys.argv) > 1:\n    params["--a"] = 1\nparams["--b"] = 2\nif len(sys.argv) > 2:\n    params["--a"] = 3\n',
     "different order on different paths"),
    ('if len(sys.argv) > 1:\n    params["--sizes"] = [1, 2]\nelse:\n    params["--sizes"] = [3]\n',
     "does only for a str, number or bool"),
    ('if len(sys.argv) > 1:\n    params["--rest"] = sys.argv[1:]\n', "--assume scalar-script-params"),
    ('if len(sys.argv) > 1:\n    params["--n"] = int(sys.argv[1])\nelse:\n    params["--n"] = sys.argv\n',
     "does only for a str, number or bool"),
])
def test_what_the_dict_holds_on_some_path_blocks_with_its_reason(changes, reason):
    result = _migrate(changes)
    assert result.migrated == 0
    assert any(reason in f.message for f in result.findings), [f.message for f in result.findings]


def test_a_swept_estimator_with_a_dict_changed_on_some_paths_is_left():
    use = ('from azureml.train.hyperdrive import HyperDriveConfig, RandomParameterSampling, choice, PrimaryMetricGoal\n'
           'hd = HyperDriveConfig(estimator=est, hyperparameter_sampling=RandomParameterSampling({"--lr": choice(1, 2)}),'
           ' primary_metric_name="a", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=2)\n'
           'Experiment(ws, "e").submit(hd)')
    result = _migrate('if len(sys.argv) > 1:\n    params["--epochs"] = 3\n', use)
    assert result.migrated == 0
