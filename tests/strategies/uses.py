"""Strategies for the `uses` concern: what code does with an estimator after building it.

The concern handles no estimator keyword, so `kwargs` adds nothing to the generated call. `blocks`
draws whole pieces of a program (an estimator and its later uses, or an estimator class used other
than by calling it) for the whole-file property in tests/test_whole_file_property.py; each piece
runs with the names tests/strategies/preamble.py defines (`ws`, `cluster`).
"""

from __future__ import annotations

from hypothesis import strategies as st

IMPORTS = """\
from azureml.core import Experiment, ScriptRunConfig
from azureml.pipeline.core import Pipeline, PipelineParameter
from azureml.pipeline.steps import EstimatorStep
from azureml.train.estimator import Estimator
from azureml.train.hyperdrive import HyperDriveConfig, HyperDriveRunConfig, PrimaryMetricGoal, RandomParameterSampling, choice
"""

_ESTIMATOR = '{name} = Estimator(source_directory="./src", entry_script="train.py", compute_target=cluster{extra})\n'
_HYPERDRIVE = ('{name}_hd = {cls}(estimator={name}, hyperparameter_sampling=RandomParameterSampling({{"--lr": choice(0.1, 0.2)}}), '
               'primary_metric_name="loss", primary_metric_goal=PrimaryMetricGoal.MINIMIZE, max_total_runs=2)\n')


def kwargs(kind: str):
    return st.just({})


def _submit(name: str) -> str:
    return f'Experiment(ws, "{name}").submit({name})\n'


@st.composite
def _estimator_block(draw, name: str) -> str:
    """An estimator, some later uses, one submission (direct, HyperDrive or pipeline)."""
    how = draw(st.sampled_from(["submit", "config", "hyperdrive", "hyperdrive_run_config", "step", "helper"]))
    # EstimatorStep refuses an estimator with arguments (it raises): the original program must run.
    params = "" if how == "step" else draw(st.sampled_from(
        ["", ', script_params={"--epochs": 2}', ', script_params={"--lr": 0.5}']))
    code = _ESTIMATOR.format(name=name, extra=params)
    uses = [
        f'{name}.run_config.environment_variables = {{"MODE": "fast"}}\n',
        f'{name}._estimator_config.history.snapshot_project = False\n',
        f'{name}.conda_dependencies.add_pip_package("pandas")\n',
        f'print({name}.run_config.script)\n',
        f'print({name}.source_directory)\n',
        f'keep_{name} = [{name}]\n',
    ]
    if how != "step":
        uses += [f'{name}.run_config.arguments = ["--seed", 1]\n', f'print(len({name}.run_config.arguments))\n']
    for _ in range(draw(st.integers(0, 2))):
        code += draw(st.sampled_from(uses))
    if how == "submit":
        code += _submit(name)
    elif how == "config":
        code += f'Experiment(ws, "{name}").submit(config={name})\n'
    elif how in ("hyperdrive", "hyperdrive_run_config"):
        cls = "HyperDriveConfig" if how == "hyperdrive" else "HyperDriveRunConfig"
        code += _HYPERDRIVE.format(name=name, cls=cls) + _submit(f"{name}_hd")
    elif how == "step":
        code += (f'{name}_step = EstimatorStep(name="train", estimator={name}, compute_target=cluster, '
                 f'estimator_entry_script_arguments=["--lr", PipelineParameter(name="lr", default_value=0.1)])\n'
                 f'Experiment(ws, "{name}").submit(Pipeline(workspace=ws, steps=[{name}_step]))\n')
    else:
        code += f'def launch_{name}(config):\n    return Experiment(ws, "{name}").submit(config)\n\n\nlaunch_{name}({name})\n'
    return code


@st.composite
def _stray_block(draw, name: str) -> str:
    """An estimator class used other than by calling it."""
    shape = draw(st.sampled_from(["value", "subclass", "isinstance"]))
    if shape == "value":
        return (f'def make_{name}(cls, **kwargs):\n    return cls(**kwargs)\n\n\n'
                f'{name} = make_{name}(Estimator, source_directory="./src", entry_script="train.py", compute_target=cluster)\n'
                + _submit(name))
    if shape == "subclass":
        # Never built: the SDK's own `super(self.__class__, self)` breaks plain subclasses at run time.
        return (f'class Custom_{name}(Estimator):\n'
                f'    def describe(self):\n        return self.run_config.script\n')
    return (f'{name} = ScriptRunConfig(source_directory="./src", script="train.py", compute_target=cluster)\n'
            f'if not isinstance({name}, Estimator):\n    ' + _submit(name))


@st.composite
def blocks(draw) -> list[str]:
    """One to three program pieces, each with its own names."""
    count = draw(st.integers(1, 3))
    return [draw(st.one_of(_estimator_block(f"est{i}"), _stray_block(f"est{i}"))) for i in range(count)]
