"""The MLClient line (`MLClient.from_config(...)` or `MLClient(DefaultAzureCredential(), ...)`) goes right after the workspace lookup, which may come before the place the
assembler puts new imports (the estimator class's import, in a notebook often a later cell): then
the v2 imports the job added move up to just before the client, so every name is bound before use.
"""

from __future__ import annotations

import libcst as cst

from estimig.codemods.v2 import CREDENTIAL, ML_CLIENT

_V2_MODULES = ("azure.ai.ml", "azure.identity")


def imports_first(code: str) -> str:
    module = cst.parse_module(code)
    body = list(module.body)
    client = next((i for i, s in enumerate(body) if _builds_client(s)), None)
    if client is None:
        return code
    later = [i for i, s in enumerate(body) if i > client and _v2_import(s)]
    if not later:
        return code
    moved = [body[i].with_changes(leading_lines=()) for i in later]
    # They join the last import above the client, or else go right before it.
    imports_above = [i for i in range(client) if _is_import(body[i])]
    after = imports_above[-1] if imports_above else client - 1
    kept, spacing = [], None
    for i, statement in enumerate(body):
        if i in later:
            # The blank lines above a moved import stay where it was, above the next statement, unless
            # that has lines of its own (a comment above it is never lost).
            spacing = statement.leading_lines if spacing is None else spacing
            continue
        if spacing is not None:
            if not statement.leading_lines:
                statement = statement.with_changes(leading_lines=spacing)
            spacing = None
        if i == after + 1:
            kept.extend(moved)
        kept.append(statement)
    return module.with_changes(body=kept).code


def _builds_client(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or not isinstance(statement.body[0], cst.Assign):
        return False
    value = statement.body[0].value
    # `MLClient.from_config(credential=...)` after `Workspace.from_config()`, or
    # `MLClient(DefaultAzureCredential(), subscription_id=...)` after `Workspace.get(...)`.
    built = isinstance(value, cst.Call) and (
        (isinstance(value.func, cst.Attribute) and isinstance(value.func.value, cst.Name)
         and value.func.value.value == ML_CLIENT[1] and value.func.attr.value == "from_config")
        or (isinstance(value.func, cst.Name) and value.func.value == ML_CLIENT[1]))
    return built and any(CREDENTIAL[1] in cst.Module(body=[]).code_for_node(a) for a in value.args)


def _is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], (cst.Import, cst.ImportFrom))


def _v2_import(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return isinstance(small, cst.ImportFrom) and small.module is not None and \
        cst.Module(body=[]).code_for_node(small.module).startswith(_V2_MODULES)
