"""Offline stand-ins for the Azure ML SDK v2 (azure-ai-ml) service boundary.

`MLClient` is built for real (it reaches nothing until an operation runs); `MLClient.from_config`
skips reading config.json, and `jobs.create_or_update` records the job as `job._to_dict()`
serializes it, with the experiment name, instead of sending it. `jobs.stream` waits for nothing.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from estimig.offline import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE


class SdkV2Missing(RuntimeError):
    HINT = "the Azure ML SDK v2 is not installed: pip install 'estimig[v2]'"


@dataclass
class V2Submission:
    experiment: str | None
    job: dict
    tags: dict | None = None


@dataclass
class V2Session:
    submissions: list[V2Submission] = field(default_factory=list)


@contextlib.contextmanager
def offline_ml_client(on_submit=None):
    """Patch azure-ai-ml's service boundary for the duration of the block; yield the session.
    `on_submit(submission)`, when given, runs each job (the runtime shim) as it is recorded."""
    try:
        from azure.ai.ml import MLClient
        from azure.ai.ml.operations import JobOperations
    except ImportError as exc:
        raise SdkV2Missing(SdkV2Missing.HINT) from exc
    from unittest import mock

    session = V2Session()

    def from_config(cls, credential, *args, **kwargs):
        return MLClient(credential, SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)

    def create_or_update(self, job, *, experiment_name=None, tags=None, **kwargs):
        if kwargs:
            raise TypeError(f"the offline stand-in does not model create_or_update({', '.join(kwargs)}=...)")
        submission = V2Submission(experiment_name or job.experiment_name, job._to_dict(), tags)
        session.submissions.append(submission)
        job.name = job.name or f"offline_job_{len(session.submissions)}"
        if on_submit is not None:
            on_submit(submission)
        return job

    def stream(self, name, *args, **kwargs):
        return None

    # azure-ai-ml warns about experimental classes on import and about anonymous environments.
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    patches = [mock.patch.object(MLClient, "from_config", classmethod(from_config)),
               mock.patch.object(JobOperations, "create_or_update", create_or_update),
               mock.patch.object(JobOperations, "stream", stream)]
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        try:
            yield session
        finally:
            logging.disable(previous)


def registered_dataset(workspace, name: str, version: Any = "latest"):
    """A v1 FileDataset registered under `name` and `version`, as the service would return it:
    the v2 oracle compares inputs by the data asset they name (`azureml:name:version`)."""
    from azureml.core import Dataset
    from azureml.data._dataset import _DatasetRegistration

    from estimig.offline import make_datastore

    dataset = Dataset.File.from_files((make_datastore(workspace), name), validate=False)
    # A saved dataset's id is a GUID (the SDK names an unnamed input after its first 8 digits).
    saved_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"estimig-offline/{name}/{version}"))
    dataset._registration = _DatasetRegistration(workspace, saved_id=saved_id, name=name, version=version)
    return dataset
