"""What the Azure ML SDK v1 returns: one table, one row per way of getting a data or compute object.

A row is (how, where, result, example):
- how = "class": calling a class named by one of the qualified names in `where` (`Datastore(ws, n)`);
- how = "static": calling a member of a class or module (`where` lists the qualified names of the
  member itself, as estimig resolves them through the imports: `azureml.core.Dataset.get_by_name`);
- how = "method": a method on a value of a kind (`where` = (receiver kind, method names)); the
  kind ANY is a method only one SDK class has, whatever the receiver;
- how = "attribute": a call of a method of a workspace attribute, `ws.datasets.get(...)` (`where` =
  (attribute, method names)); how = "item": subscripting one, `ws.datastores['name']`.

`example` is code that builds the object offline (estimig/offline.py stand-ins) and whose last
expression has the row's result; tests/test_sdk_types.py runs every example against the real SDK
and checks the class, so the table cannot claim what the SDK does not do.

Kinds are the names of `estimig.values.Kind` members; the classes each kind stands for are
`KIND_CLASSES`.
"""

from __future__ import annotations

from typing import NamedTuple


class Row(NamedTuple):
    how: str
    where: tuple
    result: str
    example: str


_DATASET = ("azureml.core.Dataset", "azureml.core.dataset.Dataset")
_FACTORIES = (*(f"{d}.File" for d in _DATASET), *(f"{d}.Tabular" for d in _DATASET),
              "azureml.data.dataset_factory.FileDatasetFactory", "azureml.data.dataset_factory.TabularDatasetFactory")
DATASTORE_CLASS = ("azureml.core.Datastore", "azureml.core.datastore.Datastore")
_COMPUTE = ("azureml.core.ComputeTarget", "azureml.core.compute.ComputeTarget", "azureml.core.compute.compute.ComputeTarget",
            "azureml.core.compute.AmlCompute", "azureml.core.compute.amlcompute.AmlCompute")
# Targets that are not AmlCompute: framework estimators built their full environment on them.
_REMOTE = ("azureml.core.compute.RemoteCompute", "azureml.core.compute.remote.RemoteCompute")
# FileDataset / TabularDataset methods that return another dataset of the same kind.
DATASET_TRANSFORMS = ("register", "take", "skip", "take_sample", "filter", "keep_columns", "drop_columns",
                      "with_timestamp_columns", "time_before", "time_after", "time_between", "time_recent",
                      "add_tags", "remove_tags")

_FILES = "Dataset.File.from_files(path=(ws.get_default_datastore(), 'data/**'))"
_TABLE = "Dataset.Tabular.from_delimited_files(path=(ws.get_default_datastore(), 'data.csv'))"

ROWS: tuple[Row, ...] = (
    Row("class", ("azureml.data.dataset_consumption_config.DatasetConsumptionConfig", "azureml.data.DatasetConsumptionConfig"),
        "DATASET", f"DatasetConsumptionConfig('x', {_FILES})"),
    Row("class", ("azureml.data.data_reference.DataReference",), "DATA_REFERENCE",
        "DataReference(datastore=ws.get_default_datastore(), data_reference_name='x', path_on_datastore='p')"),
    Row("class", ("azureml.data.datapath.DataPath",), "DATA_PATH",
        "DataPath(datastore=ws.get_default_datastore(), path_on_datastore='p')"),
    Row("class", DATASTORE_CLASS, "DATASTORE", "Datastore(ws, 'workspaceblobstore')"),
    Row("class", _COMPUTE, "COMPUTE", "ComputeTarget(workspace=ws, name='cpu-cluster')"),
    Row("static", tuple(f"{d}.{m}" for d in _DATASET for m in ("get_by_name", "get_by_id")), "DATASET_OBJECT",
        "Dataset.get_by_name(ws, name='mnist')"),
    Row("static", tuple(f"{f}.{m}" for f in _FACTORIES for m in ("from_files", "from_delimited_files", "from_parquet_files",
                                                                 "from_json_lines_files", "from_sql_query")),
        "DATASET_OBJECT", _TABLE),
    Row("static", tuple(f"{d}.{m}" for d in DATASTORE_CLASS for m in (
        "get", "get_default", "register_azure_blob_container", "register_azure_file_share", "register_azure_data_lake",
        "register_azure_data_lake_gen2")), "DATASTORE",
        "Datastore.register_azure_blob_container(ws, 'store', 'container', 'account', account_key='k')"),
    Row("class", _REMOTE, "OTHER_COMPUTE", "RemoteCompute(workspace=ws, name='dsvm')"),
    Row("static", tuple(f"{c}.attach" for c in _REMOTE), "OTHER_COMPUTE",
        "RemoteCompute.attach(workspace=ws, name='dsvm', username='u', address='10.0.0.4', ssh_port=22, password='p')"),
    Row("static", tuple(f"{c}.create" for c in _COMPUTE), "COMPUTE",
        "ComputeTarget.create(ws, 'c', AmlCompute.provisioning_configuration(vm_size='STANDARD_D2_V2', max_nodes=2))"),
    # Only a Workspace has this method.
    Row("method", ("ANY", ("get_default_datastore",)), "DATASTORE", "ws.get_default_datastore()"),
    Row("attribute", ("datasets", ("get",)), "DATASET_OBJECT", "ws.datasets.get('mnist')"),
    Row("item", ("datasets",), "DATASET_OBJECT", "ws.datasets['mnist']"),
    Row("item", ("datastores",), "DATASTORE", "ws.datastores['workspaceblobstore']"),
    Row("item", ("compute_targets",), "COMPUTE", "ws.compute_targets['cpu-cluster']"),
    Row("method", ("DATASET_OBJECT", DATASET_TRANSFORMS[:4]), "DATASET_OBJECT",
        f"{_FILES}.register(ws, 'mnist', create_new_version=True)"),
    Row("method", ("DATASET_OBJECT", DATASET_TRANSFORMS[4:]), "DATASET_OBJECT", f"{_TABLE}.keep_columns(['a'])"),
    Row("method", ("DATASET_OBJECT", ("as_named_input", "as_mount", "as_download", "as_hdfs")), "DATASET",
        f"{_FILES}.as_named_input('x')"),
    Row("method", ("DATASET", ("as_mount", "as_download", "as_hdfs")), "DATASET", f"{_FILES}.as_named_input('x').as_mount()"),
    # `as_named_input` exists only on datasets, so it proves one whatever its receiver is.
    Row("method", ("ANY", ("as_named_input",)), "DATASET", f"{_TABLE}.as_named_input('t')"),
    Row("method", ("DATA_REFERENCE", ("path", "as_mount", "as_download", "as_upload")), "DATA_REFERENCE",
        "ws.get_default_datastore().path('p').as_download()"),
    Row("method", ("DATASTORE", ("path", "as_mount", "as_download", "as_upload")), "DATA_REFERENCE",
        "ws.get_default_datastore().path('p')"),
)

# The classes a value of each kind is an instance of (checked by tests/test_sdk_types.py).
KIND_CLASSES = {
    "DATASET": ("azureml.data.dataset_consumption_config.DatasetConsumptionConfig",),
    "DATA_REFERENCE": ("azureml.data.data_reference.DataReference",),
    "DATA_PATH": ("azureml.data.datapath.DataPath",),
    "DATASTORE": ("azureml.data.azure_storage_datastore.AbstractAzureStorageDatastore",
                  "azureml.data.abstract_datastore.AbstractDatastore"),
    "DATASET_OBJECT": ("azureml.data.file_dataset.FileDataset", "azureml.data.tabular_dataset.TabularDataset"),
    "COMPUTE": ("azureml.core.compute.amlcompute.AmlCompute",),
    "OTHER_COMPUTE": ("azureml.core.compute.remote.RemoteCompute",),
}


def _index():
    classes, statics, methods, attributes, items = {}, {}, {}, {}, {}
    for row in ROWS:
        if row.how == "class":
            classes.update(dict.fromkeys(row.where, row.result))
        elif row.how == "static":
            statics.update(dict.fromkeys(row.where, row.result))
        elif row.how == "method":
            kind, names = row.where
            methods.setdefault(kind, {}).update(dict.fromkeys(names, row.result))
        elif row.how == "attribute":
            attribute, names = row.where
            attributes.setdefault(attribute, {}).update(dict.fromkeys(names, row.result))
        elif row.how == "item":
            items[row.where[0]] = row.result
    return classes, statics, methods, attributes, items


CLASSES, STATICS, METHODS, ATTRIBUTE_METHODS, ITEMS = _index()


def class_result(qualified_names) -> str | None:
    """The kind a call of one of these qualified names returns (a class or a static member)."""
    for name in qualified_names:
        found = CLASSES.get(name) or STATICS.get(name)
        if found:
            return found
    return None


def method_result(receiver_kind: str | None, method: str) -> str | None:
    """The kind `receiver.method(...)` returns: by the receiver's kind when it is proven (a kind
    without the method: None, that code raised), else by the methods only one class has."""
    if receiver_kind is not None:
        return METHODS.get(receiver_kind, {}).get(method)
    return METHODS["ANY"].get(method)
