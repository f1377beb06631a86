"""Offline stand-ins for the Azure ML service boundary.

The real SDK builds Estimators, ScriptRunConfigs and RunConfigurations without a network; only the
calls that would reach the service (workspace lookup, compute target lookup, datastore and dataset
lookup, experiment creation and submission, curated environments) are replaced here. The oracle and
the runtime shim both use this module, so there is one place that knows where the boundary is.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
RESOURCE_GROUP = "estimig-offline"
WORKSPACE = "estimig-offline-ws"
DEFAULT_DATASTORE = "workspaceblobstore"


class SdkMissing(RuntimeError):
    """The azureml SDK v1 is not installed."""

    HINT = "the Azure ML SDK v1 is not installed: pip install 'estimig[sdk]'"


def require_sdk() -> None:
    try:
        import azureml.core  # noqa: F401
        import azureml.train.estimator  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised by the CLI tests in a bare venv only
        raise SdkMissing(SdkMissing.HINT) from exc


def _auth():
    from azureml.core.authentication import AbstractAuthentication

    class OfflineAuthentication(AbstractAuthentication):
        """Never reaches Azure Active Directory."""

        def _get_arm_token(self):
            return "offline"

        def _get_graph_token(self):
            return "offline"

        def _get_all_subscription_ids(self):
            return [SUBSCRIPTION], False

    return OfflineAuthentication()


def make_workspace(name: str = WORKSPACE):
    from azureml.core import Workspace

    return Workspace(SUBSCRIPTION, RESOURCE_GROUP, name, auth=_auth(), _disable_service_check=True)


def make_datastore(workspace, name: str = DEFAULT_DATASTORE):
    from azureml.data.azure_storage_datastore import AzureBlobDatastore

    return AzureBlobDatastore(workspace, name, container_name=f"{name}-container", account_name="estimigoffline")


def make_compute(workspace, name: str, kind: str = "AmlCompute"):
    """A compute target object of the real class, never looked up in the service."""
    from azureml.core.compute import AmlCompute, ComputeTarget
    from azureml.core.compute.kubernetescompute import KubernetesCompute

    from azureml.core.compute import RemoteCompute

    cls = {"AmlCompute": AmlCompute, "KubernetesCompute": KubernetesCompute, "RemoteCompute": RemoteCompute}.get(
        kind, ComputeTarget)
    target = object.__new__(cls)
    target.name = name
    target.workspace = workspace
    target.type = kind
    target._workspace = workspace
    target.cluster_location = None  # read by ScriptRunConfig for multi-region clusters
    # Framework estimators read the region to pick an image; any cached region behaves the same.
    target.location = "eastus"
    return target


@dataclass
class Submission:
    """One `Experiment.submit(config)` seen while running user code."""

    experiment: str
    config: Any


@dataclass
class OfflineSession:
    """What happened while user code ran against the stand-ins."""

    workspace: Any
    submissions: list[Submission] = field(default_factory=list)
    # Every Estimator or ScriptRunConfig constructed, in order (for code that never submits).
    constructed: list[Any] = field(default_factory=list)
    on_submit: Callable[[Submission], Any] | None = None

    def datastore(self, name: str = DEFAULT_DATASTORE):
        return make_datastore(self.workspace, name)


class _OfflineMetrics(dict):
    """An offline run's metrics: it logged none, and a notebook that reads one by name after the submit
    (`run.get_metrics()["accuracy"]`) reads 0.0, the same in the original and its migration, and goes on."""

    def __missing__(self, name):
        return 0.0


class _FakeRun:
    """What `Experiment.submit` (or `start_logging`) returns offline: enough for notebooks that call it."""

    def __init__(self, submission: Submission | None):
        self.submission = submission
        self.id = f"offline_{id(submission):x}"

    def wait_for_completion(self, *args, **kwargs):
        return {"runId": self.id, "status": "Completed"}

    def get_status(self):
        return "Completed"

    def get_metrics(self, *args, **kwargs):
        return _OfflineMetrics()

    def get_portal_url(self):
        return ""

    def get_file_names(self):
        return []  # an offline run wrote no files

    def get_best_run_by_primary_metric(self, *args, **kwargs):
        return _FakeRun(None)  # a HyperDrive run's best child, as offline as its parent

    def __getattr__(self, name):  # anything else a notebook pokes at is a harmless no-op
        return lambda *args, **kwargs: None


def _widget_stand_in() -> list:
    """`azureml.widgets` (a separate package, not installed here) for notebooks that show a run:
    `RunDetails(run).show()` renders nothing offline, but takes only a v1 run, as the widget does."""
    import importlib.util
    import types

    if "azureml.widgets" in sys.modules or importlib.util.find_spec("azureml.widgets") is not None:
        return []

    class RunDetails:
        def __init__(self, run_instance):
            from azureml.core import Run

            if not isinstance(run_instance, (Run, _FakeRun)):
                raise TypeError(f"RunDetails takes a v1 Run, not {type(run_instance).__name__}")
            self.run = run_instance

        def show(self, *args, **kwargs):
            return None

    module = types.ModuleType("azureml.widgets")
    module.RunDetails = RunDetails

    @contextlib.contextmanager
    def installed():
        # Only this key: mock.patch.dict(sys.modules) would drop every module imported meanwhile.
        sys.modules["azureml.widgets"] = module
        try:
            yield
        finally:
            sys.modules.pop("azureml.widgets", None)
    return [installed()]


@contextlib.contextmanager
def offline_sdk(on_submit: Callable[[Submission], Any] | None = None):
    """Patch the SDK's service boundary for the duration of the block; yield the session."""
    require_sdk()
    import itertools
    import uuid
    from unittest import mock

    counter = itertools.count(1)

    from azureml.core import Dataset, Datastore, Environment, Experiment, Workspace
    from azureml.core.compute import AmlCompute, ComputeTarget, RemoteCompute
    from azureml.core.script_run_config import ScriptRunConfig
    from azureml.data._dataset import AbstractDataset
    from azureml.data.datastore_client import _DatastoreClient
    from azureml.data.azure_storage_datastore import AzureBlobDatastore
    from azureml.train.estimator._mml_base_estimator import MMLBaseEstimator

    session = OfflineSession(workspace=None, on_submit=on_submit)

    from azureml.core import Run

    from azureml.train.hyperdrive import HyperDriveRun

    def run_new(cls, *args, **kwargs):
        # `Run(experiment, run_id)` or `HyperDriveRun(experiment, run_id)`: the run of that id, as submit
        # returns runs offline (a --target v2 migration reads its job through SDK v1 so, under
        # v1-run-of-the-job); other subclasses build as usual.
        return _FakeRun(None) if cls in (Run, HyperDriveRun) else object.__new__(cls)

    def experiment_init(self, workspace, name, *args, **kwargs):
        self._workspace = workspace
        self._name = name
        self._id = f"offline-{name}"

    def submit(self, config, tags=None, **kwargs):
        submission = Submission(experiment=self._name, config=config)
        session.submissions.append(submission)
        if session.on_submit is not None:
            outcome = session.on_submit(submission)
            if outcome is not None:
                return outcome
        return _FakeRun(submission)

    def compute_new(cls, workspace=None, name=None, *args, **kwargs):
        if workspace is None or name is None:  # the SDK's own internal construction
            return object.__new__(cls)
        kind = cls.__name__ if cls is not ComputeTarget else "AmlCompute"
        return make_compute(workspace, name, kind)

    def compute_init(self, *args, **kwargs):
        pass

    def datastores(self):
        return {DEFAULT_DATASTORE: make_datastore(self)}

    def datastore_get(workspace, datastore_name):
        return make_datastore(workspace, datastore_name)

    def dataset_get_by_name(workspace, name, version="latest", **kwargs):
        return Dataset.File.from_files((make_datastore(workspace), name), validate=False)

    def workspace_datasets(self):
        # Workspace.datasets lists the registered datasets by name; offline every name exists.
        class _Datasets(dict):
            def __missing__(inner, name):
                return dataset_get_by_name(self, name)

            def get(inner, name, default=None):
                return inner[name]
        return _Datasets()

    def workspace_compute_targets(self):
        class _Targets(dict):
            # Every named cluster exists (`ws.compute_targets[name]` finds it), so `name in` says so too.
            def __missing__(inner, name):
                return make_compute(self, name)

            def __contains__(inner, name):
                return isinstance(name, str)
        return _Targets()

    def compute_create(workspace, name, provisioning_configuration):
        return make_compute(workspace, name)

    def compute_attach(workspace, name, *args, **kwargs):
        return make_compute(workspace, name, "RemoteCompute")

    def register_datastore(workspace, datastore_name=None, *args, **kwargs):
        return make_datastore(workspace, datastore_name or kwargs.get("name", DEFAULT_DATASTORE))

    def environment_get(workspace, name, version=None, label=None):
        env = Environment(name)
        env.version = version
        return env

    # Building a dataset validates its paths (and infers column types) by reading storage; offline
    # the definition is built without reading anything. What runs is decided by the definition.
    from azureml.data.dataset_factory import FileDatasetFactory, TabularDatasetFactory

    def offline_factory(original, *no_reading):
        def build(*args, **kwargs):
            kwargs["validate"] = False
            for name in no_reading:
                kwargs[name] = False
            return original(*args, **kwargs)
        return staticmethod(build)

    dataset_factories = [
        (FileDatasetFactory, "from_files", ()),
        (TabularDatasetFactory, "from_delimited_files", ("infer_column_types",)),
        (TabularDatasetFactory, "from_parquet_files", ()),
        (TabularDatasetFactory, "from_json_lines_files", ()),
    ]

    original_mml_init = MMLBaseEstimator.__init__
    original_src_init = ScriptRunConfig.__init__

    def mml_init(self, *args, **kwargs):
        original_mml_init(self, *args, **kwargs)
        session.constructed.append(self)

    def src_init(self, *args, **kwargs):
        original_src_init(self, *args, **kwargs)
        session.constructed.append(self)

    from azureml._vendor.azure_cli_core.azureml_cloud import _Clouds

    from azureml.core.authentication import AbstractAuthentication, AzureCliAuthentication

    original_workspace_init = Workspace.__init__

    def workspace_init(self, *args, **kwargs):
        # `Workspace(subscription_id, resource_group, name)` checks the workspace with the service.
        kwargs.update(auth=_auth(), _disable_service_check=True)
        original_workspace_init(self, *args, **kwargs)

    def cli_auth_init(self, cloud=None, **kwargs):
        # AzureCliAuthentication needs the azure-cli package installed; offline no token is asked for.
        AbstractAuthentication.__init__(self, cloud)

    patches = [
        mock.patch.object(Workspace, "__init__", workspace_init),
        mock.patch.object(AzureCliAuthentication, "__init__", cli_auth_init),
        # The SDK fetches cloud endpoints over the network; offline it uses its built-in list.
        mock.patch.object(_Clouds, "_get_clouds_by_metadata_url", staticmethod(lambda *a, **k: None)),
        mock.patch.object(Workspace, "from_config", staticmethod(lambda *a, **k: session.workspace)),
        mock.patch.object(Workspace, "get", staticmethod(lambda *a, **k: session.workspace)),
        mock.patch.object(Workspace, "datastores", property(datastores)),
        mock.patch.object(Workspace, "get_default_datastore", lambda self: make_datastore(self)),
        mock.patch.object(Experiment, "__init__", experiment_init),
        mock.patch.object(Experiment, "submit", submit),
        mock.patch.object(Run, "__new__", run_new),
        mock.patch.object(HyperDriveRun, "__new__", run_new),
        # An interactive run (`run = exp.start_logging()`, then run.log(...)) talks to the service.
        mock.patch.object(Experiment, "start_logging", lambda self, *a, **k: _FakeRun(None)),
        # Two runs of one program compare equal only if names it makes up (output folders named
        # with uuid1().hex) come out the same: each session draws the same sequence.
        mock.patch.object(uuid, "uuid1", lambda *a, **k: uuid.UUID(int=next(counter), version=1)),
        mock.patch.object(uuid, "uuid4", lambda: uuid.UUID(int=next(counter), version=4)),
        mock.patch.object(ComputeTarget, "__new__", compute_new),
        mock.patch.object(ComputeTarget, "__init__", compute_init),
        mock.patch.object(Datastore, "get", staticmethod(datastore_get)),
        mock.patch.object(_DatastoreClient, "get", staticmethod(datastore_get)),  # Datastore(ws, name)
        mock.patch.object(Datastore, "get_default", staticmethod(lambda ws: make_datastore(ws))),
        mock.patch.object(Dataset, "get_by_name", staticmethod(dataset_get_by_name)),
        mock.patch.object(Dataset, "get_by_id", staticmethod(lambda ws, id, **k: dataset_get_by_name(ws, id))),
        mock.patch.object(Workspace, "datasets", property(workspace_datasets)),
        mock.patch.object(Workspace, "compute_targets", property(workspace_compute_targets)),
        mock.patch.object(ComputeTarget, "create", staticmethod(compute_create)),
        mock.patch.object(RemoteCompute, "attach", staticmethod(compute_attach)),
        *(mock.patch.object(cls, "wait_for_completion", lambda self, *a, **k: None) for cls in (ComputeTarget, AmlCompute)),
        # Registering and uploading reach storage and the service; the object is what matters here.
        mock.patch.object(AbstractDataset, "register", lambda self, *a, **k: self),
        mock.patch.object(AzureBlobDatastore, "upload", lambda self, *a, **k: None),
        mock.patch.object(AzureBlobDatastore, "upload_files", lambda self, *a, **k: None),
        *(mock.patch.object(Datastore, name, staticmethod(register_datastore))
          for name in ("register_azure_blob_container", "register_azure_file_share", "register_azure_data_lake",
                       "register_azure_data_lake_gen2")),
        mock.patch.object(Environment, "get", staticmethod(environment_get)),
        mock.patch.object(MMLBaseEstimator, "__init__", mml_init),
        mock.patch.object(ScriptRunConfig, "__init__", src_init),
        *(mock.patch.object(factory, name, offline_factory(getattr(factory, name), *no_reading))
          for factory, name, no_reading in dataset_factories),
    ]
    patches.extend(_widget_stand_in())
    # The SDK logs deprecation warnings on every Estimator; they are noise here.
    previous_disable = logging.root.manager.disable
    logging.disable(logging.WARNING)
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        session.workspace = make_workspace()
        try:
            yield session
        finally:
            logging.disable(previous_disable)
