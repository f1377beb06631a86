"""The code every generated program starts with: the names strategies may use in values.

Shared by all concerns: add names, never change existing ones.
"""

IMPORTS = {
    "Estimator": "from azureml.train.estimator import Estimator",
    "PyTorch": "from azureml.train.dnn import PyTorch",
    "TensorFlow": "from azureml.train.dnn import TensorFlow",
    "Chainer": "from azureml.train.dnn import Chainer",
    "SKLearn": "from azureml.train.sklearn import SKLearn",
}

PREAMBLE = """\
from azureml.core import Dataset, Datastore, Experiment, Workspace
from azureml.core.compute import ComputeTarget
{estimator_import}

ws = Workspace.from_config()
cluster = ComputeTarget(workspace=ws, name="cpu-cluster")
datastore = ws.get_default_datastore()
dataset = Dataset.get_by_name(ws, "mnist")
from azureml.core.runconfig import MpiConfiguration, TensorflowConfiguration
from azureml.train.dnn import Gloo, Mpi, Nccl, ParameterServer
from azureml.core import Environment
environment = Environment("property-env")
from azureml.data.data_reference import DataReference
from azureml.data.datapath import DataPath
import argparse
options_parser = argparse.ArgumentParser()
options_parser.add_argument("--tag", default="")
options_parser.add_argument("--name", type=str, default="run")
options_parser.add_argument("--nodes", type=int, default=2)
options_parser.add_argument("--node-text", default="1")
cli = options_parser.parse_args([])
"""


def program(kind: str, kwargs: dict[str, str]) -> str:
    arguments = ", ".join(f"{key}={value}" for key, value in kwargs.items())
    return (PREAMBLE.format(estimator_import=IMPORTS[kind])
            + f"\nest = {kind}({arguments})\n"
            + 'run = Experiment(ws, "property").submit(est)\n')
