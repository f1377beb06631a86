"""datasets: script_params={'--data': dataset.as_named_input('mnist').as_mount()} -> inputs={'mnist': Input(type='uri_folder', path='azureml:mnist:2', mode='ro_mount')}, command="... --data ${{inputs.mnist}}".

A registered FileDataset (`Dataset.get_by_name(ws, name, version)`, `ws.datasets[name]`) consumed as a
named mount or download becomes a v2 input of the same name: the data asset of that name and
version (`@latest` when the v1 code asked for the latest), a folder, mounted read-only or
downloaded, and the script receives its path on the command line as it did. Unregistered
datasets, `inputs=[...]` (read through `Run.input_datasets`, which v2 does not have) and other
modes are left for a later version. A datastore path downloaded in script_params becomes a folder
input at `azureml://datastores/<store>/paths/<path>` (`_references`); a mounted one is refused (v1's
mount was writable, a v2 input mounts read-only) unless the user assumes the job only reads it
(read-only-mount): then it is a read-only mount of the same path.
"""

from __future__ import annotations

import json
import re

import libcst as cst

from estimig.assumptions import READ_ONLY_MOUNT
from estimig.codemods.arguments import Unprovable, shared_items
from estimig.codemods.v2 import INPUT, taken
from estimig.facts import EstimatorCall
from estimig.plan import CallPlan, NewArg
from estimig.sdk_types import DATASTORE_CLASS
from estimig.values import Kind, Value, classify, literal

NAME = "datasets"
SUMMARY = ("registered datasets as named mounts/downloads -> inputs={name: Input(path='azureml:name:version')}; "
           "downloaded datastore paths -> Input(path='azureml://datastores/<store>/paths/<path>')")
MODES = {"as_mount": "ro_mount", "as_download": "download"}
_GET_BY_NAME = frozenset({"azureml.core.Dataset.get_by_name", "azureml.core.dataset.Dataset.get_by_name"})


def plan(call: EstimatorCall, options) -> CallPlan:
    given = classify(call, call.kwargs["inputs"].value) if call.has("inputs") else None
    if given is not None and not (given.kind is Kind.LITERAL and given.value in (None, [], ())):
        return CallPlan(NAME, blocked="inputs=[...]: the script read those through Run.input_datasets, which v2 "
                        "does not have; --target v2 does not migrate them yet (pass them in script_params)")
    try:
        # One input per name, delivered as the last consumption of that name asked (see `_inputs`).
        inputs = dict(_inputs(call))
    except Unprovable as exc:
        return CallPlan(NAME, blocked=str(exc))
    handles = frozenset({"inputs"} & set(call.kwargs))
    used: set[str] = set()
    try:
        references = _references(call, set(inputs), options, used)
    except Unprovable as exc:
        return CallPlan(NAME, blocked=str(exc))
    inputs.update((name, code) for _, name, code in references)
    for name, code in _sampled_inputs(call, options):
        if name in inputs:
            return CallPlan(NAME, blocked=f"the sampled parameter {name} has the name of a dataset input")
        inputs[name] = code
    if not inputs:
        return CallPlan(NAME, handles=handles)
    clash = taken(call, {INPUT})
    if clash is not None:
        return CallPlan(NAME, blocked=f"the file already binds the name '{clash}', which the v2 job needs")
    code = "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in inputs.items()) + "}"
    return CallPlan(NAME, handles=handles, arguments=(NewArg("inputs", code=code),), imports=frozenset({INPUT}),
                    assumes=frozenset(used))


def _sampled_inputs(call: EstimatorCall, options=None) -> list[tuple[str, str]]:
    """A typed input per parameter a HyperDrive sweep of the estimator samples (`codemods/v2/uses.py`):
    the sweep sets its value in each trial."""
    from estimig.codemods.v2 import Blocked
    from estimig.codemods.v2.uses import sweep_of

    try:
        found = sweep_of(call, options)
    except Blocked:
        return []  # the uses concern leaves the call, with its reason
    return [(p.name, f"Input(type={json.dumps(p.input_type)})") for p in found.parameters] if found else []


# A DataReference's delivery. A v1 mount of a datastore path was writable; a v2 input mounts read-only
# (azure-ai-ml's schema refuses rw_mount on an input), so only a download is the same, and a mount
# only for a job that only reads it (read-only-mount).
REFERENCE_MODES = {"as_download": "download", "as_mount": "ro_mount"}
_DATASTORE_LOOKUPS = frozenset({*DATASTORE_CLASS, *(f"{name}.get" for name in DATASTORE_CLASS)})


def _references(call: EstimatorCall, taken_names: set[str], options=None,
                used: set[str] | None = None) -> list[tuple[cst.BaseExpression, str, str]]:
    """(script_params value, input name, `Input(...)` code) of each datastore path in script_params
    (`ds.path("mnist").as_download()`): a folder input at `azureml://datastores/<store>/paths/<path>`,
    downloaded (a mount is refused: v1's was writable, v2's is read-only; with read-only-mount, recorded
    in `used`, it is mounted read-only; `options` None: the plan already accepted it). A store whose name is not a literal
    (`ws.get_default_datastore()`) is named by the v1 object at run time (`ds.name`), as v1 read it.
    v1 named the reference with a random id no script could know; the v2 input is named after its
    script_params key (`--data-folder` -> `data_folder`)."""
    found, names = [], set(taken_names)
    for key, value in shared_items(call):
        if classify(call, value).kind is not Kind.DATA_REFERENCE:
            continue
        shown = call.code(value)
        node = call.resolve(value) if isinstance(value, cst.Name) else value
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "as_mount" \
                and options is not None:
            if not options.assumes(READ_ONLY_MOUNT):
                raise Unprovable(f"{shown}: a v1 mount of a datastore path was writable, and a v2 input mounts "
                                 "read-only; use .as_download() if the script only reads it, or migrate it by hand "
                                 "(a v2 output)", READ_ONLY_MOUNT)
            used.add(READ_ONLY_MOUNT)
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in REFERENCE_MODES and not node.args):
            raise Unprovable(f"{shown}: --target v2 migrates a datastore path as .path(\"...\").as_download() "
                             "or .as_mount() without arguments only (for now)")
        path_call = node.func.value
        if not (isinstance(path_call, cst.Call) and isinstance(path_call.func, cst.Attribute)
                and path_call.func.attr.value == "path" and len(path_call.args) == 1
                and path_call.args[0].keyword is None):
            raise Unprovable(f"{shown}: --target v2 migrates a datastore path given as store.path(\"...\") only "
                             "(for now; a whole datastore or a named DataReference is left)")
        ok, path = literal(path_call.args[0].value)
        if not ok or not isinstance(path, str) or not path.strip("/"):
            raise Unprovable(f"{shown}: the path on the datastore is not a non-empty string literal")
        store = path_call.func.value
        if classify(call, store).kind is not Kind.DATASTORE:
            raise Unprovable(f"{shown}: estimig cannot prove which datastore the path is on")
        location = _location(call, store, path)
        ok, label = literal(key)
        name = _unique_name(label.lstrip("-") if ok and isinstance(label, str) else "", "data", names)
        names.add(name)
        found.append((value, name, f'Input(type="uri_folder", path={location}, '
                                   f'mode={json.dumps(REFERENCE_MODES[node.func.attr.value])})'))
    return found


def _unique_name(text: str, prefix: str, taken: set[str]) -> str:
    """A v2 input name from `text` (`mnist-dataset` -> `mnist_dataset`, `--train-dir` -> `train_dir`;
    `<prefix>_...` when that is no identifier), made unlike the names in `taken`."""
    base = re.sub(r"\W", "_", text)
    base = base if base.isidentifier() else (f"{prefix}_{base}" if base else prefix)
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _location(call: EstimatorCall, store: cst.BaseExpression, path: str) -> str:
    """The code of `azureml://datastores/<store>/paths/<path>`: the store's literal name, or its
    `.name` read from the v1 object (a name bound to it, or the workspace's default datastore)."""
    from estimig.codemods.v2.core import _argument

    looked_up = call.resolve(store) if isinstance(store, cst.Name) else store
    if isinstance(looked_up, cst.Call) and call.module.qualified_names(looked_up.func) & _DATASTORE_LOOKUPS:
        # Datastore.get(workspace, datastore_name) and Datastore(workspace, name)
        named = _argument(looked_up, "datastore_name", 1) or _argument(looked_up, "name", 1)
        ok, text = literal(named) if named is not None else (False, None)
        if ok and isinstance(text, str) and text:
            return json.dumps(f"azureml://datastores/{text}/paths/{path}")
    if isinstance(store, cst.Name) or (isinstance(store, cst.Call) and isinstance(store.func, cst.Attribute)
                                       and store.func.attr.value == "get_default_datastore" and not store.args):
        return f'"azureml://datastores/" + {call.code(store)}.name + {json.dumps("/paths/" + path)}'
    raise Unprovable(f"{call.code(store)}: estimig cannot write which datastore this is by name")


def render_reference(call: EstimatorCall, value: Value) -> str:
    """The command-line token for a datastore path in script_params (the `arguments` concern asks)."""
    for node, name, _ in _references(call, {n for n, _ in _inputs(call)}):
        if node is value.node:
            return "${{inputs.%s}}" % name
    raise Unprovable(f"{call.code(value.node)}: not a datastore path of script_params")  # pragma: no cover - a bug


def render_token(call: EstimatorCall, value: Value) -> str:
    """The command-line token for a dataset in script_params (the `arguments` concern asks)."""
    for (name, _), node in zip(_inputs(call), _dataset_nodes(call)):
        if node is value.node:
            return "${{inputs.%s}}" % name
    raise Unprovable(f"{call.code(value.node)}: not a dataset of script_params")  # pragma: no cover - a bug


def _dataset_nodes(call: EstimatorCall) -> list[cst.BaseExpression]:
    items = shared_items(call)
    return [value for _, value in items if classify(call, value).kind is Kind.DATASET]


def _inputs(call: EstimatorCall) -> list[tuple[str, str]]:
    """(name, `Input(...)` code) of each dataset in script_params, in order. A dataset consumed without
    as_named_input(...) was named by the v1 SDK after its id (`input__` and 8 hex digits), which no script
    could know: its v2 input is named after the registered dataset, made unique. Consumed twice so, it
    was one input, delivered as the first consumption asked (`_update_args_and_io` keeps the first of a
    name): so it is here."""
    found = [_input(call, classify(call, node)) for node in _dataset_nodes(call)]
    named = {name for name, _, _ in found if name is not None}
    names: list[str] = []
    by_asset: dict[str, str] = {}
    last: dict[str, str] = {}
    for name, asset, code in found:
        if name is None and asset in by_asset:
            name = by_asset[asset]
        elif name is None:
            name = _unique_name(asset.split(":")[1].split("@")[0], "input", named | set(names))
            by_asset[asset] = name
        names.append(name)
        last[name] = code
    return [(name, last[name]) for name in names]


def _input(call: EstimatorCall, value: Value) -> tuple[str | None, str, str]:
    """(input name or None when the v1 SDK made one up, data asset, `Input(...)` code) for a mount or
    download of a registered dataset."""
    node = value.node
    if isinstance(node, cst.Name):
        node = call.resolve(node) or node
    shown = call.code(value.node)
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in MODES
            and not node.args):
        raise Unprovable(f"{shown}: --target v2 migrates datasets consumed as .as_mount() or .as_download() "
                         "without a path only (for now)")
    named = node.func.value
    name = None
    if (isinstance(named, cst.Call) and isinstance(named.func, cst.Attribute)
            and named.func.attr.value == "as_named_input"):
        ok, name = literal(named.args[0].value) if len(named.args) == 1 else (False, None)
        if not ok or not isinstance(name, str) or not name.isidentifier():
            raise Unprovable(f"{shown}: the input name is not a literal identifier, which a v2 input name must be")
        named = named.func.value
    asset, path = _asset(call, named, shown)
    if path is not None and name is None:
        raise Unprovable(f"{shown}: the dataset's name is only known at run time, and v1 named its input after it; "
                         "name the input (.as_named_input(\"...\")), then run estimig again")
    return name, asset, (f'Input(type="uri_folder", path={path or json.dumps(asset)}, '
                         f'mode={json.dumps(MODES[node.func.attr.value])})')


def _asset(call: EstimatorCall, dataset: cst.BaseExpression, shown: str) -> tuple[str, str | None]:
    """`azureml:<name>:<version>` (or `@latest`) of a registered dataset, and None; or, for the latest
    version of a name bound on each path to a non-empty string literal (`if subset: name = "a" else:
    name = "b"`) and still bound so where the job is built, the asset as written and the code that
    reads the name there (`"azureml:" + name + "@latest"`), as v1 read it in get_by_name."""
    found = call.resolve(dataset) if isinstance(dataset, cst.Name) else dataset
    reason = call.definition(dataset) if found is None else None
    if isinstance(reason, str):
        raise Unprovable(f"{shown}: {reason}, so estimig cannot say which registered dataset it is")
    name = version = None
    if isinstance(found, cst.Call) and call.module.qualified_names(found.func) & _GET_BY_NAME:
        keywords = {a.keyword.value: a.value for a in found.args if a.keyword is not None}
        positional = [a.value for a in found.args if a.keyword is None]
        name = keywords.get("name", positional[1] if len(positional) > 1 else None)
        version = keywords.get("version", positional[2] if len(positional) > 2 else None)
    elif (isinstance(found, cst.Subscript) and isinstance(found.value, cst.Attribute)
          and found.value.attr.value == "datasets" and len(found.slice) == 1 and isinstance(found.slice[0].slice, cst.Index)):
        name = found.slice[0].slice.value
    ok, text = literal(name) if name is not None else (False, None)
    if not ok and version is None and _named_on_every_path(call, name):
        if not call.module.same_binding_at(name, call.node):
            raise Unprovable(f"{shown}: estimig cannot prove the dataset's name {call.code(name)} still holds "
                             "the same where the job is built, where v2 reads it; give the name as a literal, then "
                             "run estimig again")
        return f"azureml:{call.code(name)}@latest", f'"azureml:" + {call.code(name)} + "@latest"'
    if not ok or not isinstance(text, str) or not text:
        raise Unprovable(f"{shown}: --target v2 migrates registered datasets (Dataset.get_by_name(ws, \"name\") or "
                         "ws.datasets[\"name\"]) only (for now)")
    if version is None:
        return f"azureml:{text}@latest", None
    ok, number = literal(version)
    if not ok or isinstance(number, bool) or not isinstance(number, (int, str)):
        raise Unprovable(f"{shown}: the dataset's version is not a literal")
    return (f"azureml:{text}@latest" if number == "latest" else f"azureml:{text}:{number}"), None


def _named_on_every_path(call: EstimatorCall, name: cst.BaseExpression | None) -> bool:
    """Whether `name` is a name bound, on each path to where it is read, to a non-empty string literal."""
    from estimig.codemods.v2.core import _literal_string

    values = call.values(name) if isinstance(name, cst.Name) else "not a name"
    return not isinstance(values, str) and bool(values) and all(_literal_string(call, v) for v in values)
