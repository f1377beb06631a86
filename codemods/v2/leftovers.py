"""The v1 lines a `--target v2` migration stopped reading: removed, so the file needs SDK v1 no more.

After the calls are migrated, a module-level `name = <value>` goes when its name was read in the
original file and is read nowhere now, and its value only looks something up or builds a value: a
v1 lookup (`Workspace.from_config()`, `ComputeTarget(ws, name)`, `Dataset.get_by_name(...)`,
`ws.datasets[...]`, `Experiment(ws, name)`, a distributed configuration, a ContainerRegistry, HyperDrive's sampling and
policy) or a literal (the old `script_params` dict, a package list); so do the lines that set an
attribute of such an object to a literal (`mpi.process_count_per_node = 2`). Anything that may do
something (`ComputeTarget.create`, `Dataset.register`, ...) stays, and so does a statement with a
comment of the user's above, beside or inside it. Then the azureml imports nothing reads any more
go. Repeated until nothing changes, so one run is a fixed point.
"""

from __future__ import annotations

import libcst as cst

from estimig.analysis import Analysis

# Calls that look something up or build a configuration, and do nothing else worth keeping.
LOOKUPS = frozenset({
    *(f"{module}.{name}" for module in ("azureml.core.Workspace", "azureml.core.workspace.Workspace")
      for name in ("from_config", "get")),
    "azureml.core.compute.ComputeTarget", "azureml.core.ComputeTarget", "azureml.core.compute.AmlCompute",
    "azureml.core.Experiment", "azureml.core.experiment.Experiment",
    "azureml.core.Dataset.get_by_name", "azureml.core.dataset.Dataset.get_by_name",
    "azureml.core.Datastore.get", "azureml.core.Datastore",
    "azureml.core.runconfig.MpiConfiguration", "azureml.core.runconfig.TensorflowConfiguration",
    "azureml.core.MpiConfiguration", "azureml.core.TensorflowConfiguration",
    "azureml.train.estimator.Mpi", "azureml.train.dnn.Mpi", "azureml.train.dnn.ParameterServer",
    "azureml.core.container_registry.ContainerRegistry", "azureml.core.ContainerRegistry",
    "azureml.core.runconfig.ContainerRegistry",
    # HyperDrive's sampling and policies, which the v2 sweep replaced (codemods/v2/uses.py).
    *(f"azureml.train.hyperdrive.{path}{name}" for path in ("", "sampling.", "policy.")
      for name in ("RandomParameterSampling", "GridParameterSampling", "BayesianParameterSampling", "BanditPolicy",
                   "MedianStoppingPolicy", "NoTerminationPolicy", "TruncationSelectionPolicy")),
})
# HyperDrive's parameter expressions (`uniform(0.1, 1)`), which only build a value.
EXPRESSIONS = frozenset(f"azureml.train.hyperdrive.{path}{name}" for path in ("", "parameter_expressions.")
                        for name in ("choice", "randint", "uniform", "quniform", "loguniform", "qloguniform",
                                     "normal", "qnormal", "lognormal", "qlognormal"))
_LOOKUP_ATTRIBUTES = frozenset({"datasets", "compute_targets", "datastores"})
_METHODS = frozenset({"get_default_datastore"})


def remove(original: cst.Module, code: str) -> str:
    """`code` (the migrated module) less the v1 statements and imports it no longer reads."""
    read_before = _read_names(Analysis(original))
    for _ in range(10):  # each round can free the values the removed ones read (ws after cluster)
        module = cst.parse_module(code)
        analysis = Analysis(module)
        unread = read_before - _read_names(analysis)
        if not unread:
            return code
        kept, spacing = [], None
        for statement in module.body:
            new = None if _removable(statement, unread, analysis) else _without_imports(statement, unread)
            if new is None:
                # The blank lines above a run of removed statements (the first that has any: they
                # hold no comments) stay, above the next one.
                spacing = spacing if spacing else statement.leading_lines
                continue
            if spacing is not None and not new.leading_lines:
                new = new.with_changes(leading_lines=spacing)
            spacing = None
            kept.append(new)
        if len(kept) == len(module.body) and all(a is b for a, b in zip(kept, module.body)):
            return code
        code = module.with_changes(body=kept).code
    return code


def _read_names(analysis: Analysis) -> set[str]:
    """Module-level names something reads; setting an attribute to a literal (`mpi.process_count_per_node
    = 2`) does not count: such a line goes with the object (`_attribute_set`)."""
    module_scope = analysis.all_scopes[0]
    return {name for name, bindings in module_scope.bindings.items()
            if any(_attribute_set(analysis, r) is None for b in bindings for r in b.references)} \
        | (analysis.string_references & set(module_scope.bindings))


def _attribute_set(analysis: Analysis, read: cst.CSTNode) -> cst.SimpleStatementLine | None:
    """The module-level line `name.attr = <literal>` whose target this read of `name` is, or None."""
    attribute = analysis.parents.get(read)
    target = analysis.parents.get(attribute)
    assign = analysis.parents.get(target)
    line = analysis.parents.get(assign)
    if not (isinstance(attribute, cst.Attribute) and attribute.value is read and isinstance(target, cst.AssignTarget)
            and isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(line, cst.SimpleStatementLine)
            and len(line.body) == 1 and isinstance(analysis.parents.get(line), cst.Module)):
        return None
    return line if _inert_argument(assign.value, analysis) else None


def _removable(statement: cst.CSTNode, unread: set[str], analysis: Analysis) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Attribute)
            and isinstance(small.targets[0].target.value, cst.Name) and small.targets[0].target.value.value in unread):
        # `mpi.process_count_per_node = 2` on an object nothing reads any more goes with it.
        return _attribute_set(analysis, small.targets[0].target.value) is statement and not _has_comment(statement)
    if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)):
        return False
    if small.targets[0].target.value not in unread or _has_comment(statement):
        return False
    return _inert(small.value, analysis)


def _inert(value: cst.BaseExpression, analysis: Analysis) -> bool:
    """A v1 lookup or a literal: evaluating it again, or not at all, changes nothing the job sees."""
    if isinstance(value, cst.Call):
        if analysis.qualified_names(value.func) & LOOKUPS:
            return all(_inert_argument(a.value, analysis) for a in value.args)
        return isinstance(value.func, cst.Attribute) and value.func.attr.value in _METHODS and not value.args
    if isinstance(value, cst.Subscript):
        return isinstance(value.value, cst.Attribute) and value.value.attr.value in _LOOKUP_ATTRIBUTES
    return _inert_argument(value, analysis)


def _inert_argument(value: cst.BaseExpression, analysis: Analysis) -> bool:
    if isinstance(value, (cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
        return True
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        return all(isinstance(e, cst.Element) and _inert_argument(e.value, analysis) for e in value.elements)
    if isinstance(value, cst.Dict):
        return all(isinstance(e, cst.DictElement) and _inert_argument(e.key, analysis)
                   and _inert_argument(e.value, analysis) for e in value.elements)
    # A nested lookup: dataset.as_named_input("x").as_mount(), store.path("x").as_mount(); uniform(0, 1).
    if isinstance(value, cst.Call):
        arguments = all(not a.star and _inert_argument(a.value, analysis) for a in value.args)
        if analysis.qualified_names(value.func) & EXPRESSIONS:
            return arguments
        return isinstance(value.func, cst.Attribute) and value.func.attr.value in (
            "as_mount", "as_download", "as_named_input", "path") and _inert_argument(value.func.value, analysis) and arguments
    return isinstance(value, cst.UnaryOperation) and _inert_argument(value.expression, analysis)


class _Comments(cst.CSTVisitor):
    found = False

    def visit_Comment(self, node: cst.Comment) -> None:
        self.found = True


def _has_comment(statement: cst.SimpleStatementLine) -> bool:
    """Whether the user wrote a comment above, beside or inside the statement (it would be lost)."""
    visitor = _Comments()
    statement.visit(visitor)
    return visitor.found


def _without_imports(statement: cst.CSTNode, unread: set[str]):
    """An azureml `from ... import` or `import ...` line less the names nothing reads now (None when
    none is left)."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return statement
    small = statement.body[0]
    code = cst.Module(body=[]).code_for_node
    if len(statement.body) == 1 and isinstance(small, cst.Import):
        # `import azureml.train.hyperdrive as hd`: each azureml module whose bound name nothing reads.
        names = [a for a in small.names if not code(a.name).startswith("azureml")
                 or (a.asname.name.value if a.asname else code(a.name).split(".")[0]) not in unread]
    elif len(statement.body) != 1 or not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar) \
            or small.module is None or small.relative:
        return statement
    elif not code(small.module).startswith("azureml"):
        return statement
    else:
        names = [a for a in small.names if (a.asname.name.value if a.asname else a.name.value) not in unread]
    if len(names) == len(small.names):
        return statement
    if not names:
        return None if not _has_comment(statement) else statement
    names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return statement.with_changes(body=[small.with_changes(names=names)])
