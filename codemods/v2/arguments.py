"""arguments: entry_script='train.py', script_params={'--lr': 0.1, '--flag': ''} -> command="python train.py --lr 0.1 --flag".

The estimator's flattening and empty-value rules are the v1 concern's (`estimig.codemods.arguments`):
the dict is read the same way, key then value, list values flattened, `None` and `''` dropped (so an
empty value leaves a bare flag). A v1 argument reached the script as `str(value)`, so each literal is
written into the command line as its `str()`, shell-quoted; a dataset becomes `${{inputs.<name>}}`
(the `datasets` concern's). A value only known at run time (`args.lr`, `os.path.join(...)`) that
is provably a non-empty str, int, float or bool is joined in as `quote(str(value))`, evaluated where
the estimator evaluated it; one that may be `''` is joined in only where it is not
(`"".join(" " + quote(str(v)) for v in [args.tag] if v != "")`), as the estimator dropped it.
Under scalar-script-params (docs/assumptions.md), a value whose type cannot be seen is such a
non-empty scalar, and a dict whose content cannot be seen is flattened key, value, ... when the job
is built, as the v1 concern does (`_flattened_at_run_time`).
"""

from __future__ import annotations

import json
import shlex

from estimig.assumptions import SCALARS
from estimig.codemods.arguments import (ChangedOnSomePaths, Unprovable, keys_by_path, read_by_path,
                                        script_params_items, unseen_entries_are_scalars, written_as_usual)
from estimig.codemods.v2 import taken
from estimig.facts import EstimatorCall
from estimig.plan import CallPlan, NewArg
from estimig.values import Kind, classify, literal

NAME = "arguments"
SUMMARY = "entry_script and script_params -> the command line, with the estimator's flattening and empty-value rules"


QUOTE = ("shlex", "quote")


class _RunTime(str):
    """A token known only at run time: the code of the value, written as `quote(str(value))`."""


class _Piece(str):
    """Code of a str that is either "" or starts with a space: arguments only some paths send."""


class _MaybeEmpty(_RunTime):
    """A run-time token that may be '', which the estimator dropped: written only where it is not."""


def plan(call: EstimatorCall, options) -> CallPlan:
    used: set[str] = set()
    try:
        tokens = ["python", _script(call)]
        arguments: list[tuple[str, object]] = []
        if call.has("script_params"):
            try:
                for key, value in script_params_items(call):
                    arguments.extend(_tokens(call, key, value, options, used))
            except ChangedOnSomePaths as changed:
                arguments = _tokens_by_path(call, changed, options, used)
            except Unprovable as exc:
                arguments = _flattened_at_run_time(call, exc, options, used)
        tokens.extend(token for token, _ in _swept(call, arguments, options))
    except Unprovable as exc:
        return CallPlan(NAME, blocked=str(exc))
    imports = frozenset()
    if any(isinstance(t, (_RunTime, _Piece)) for t in tokens):
        imports = frozenset({QUOTE})
        if taken(call, imports) is not None:
            return CallPlan(NAME, blocked="the file already binds the name 'quote', which the v2 command line needs")
    return CallPlan(NAME, handles=frozenset({"script_params", "entry_script"} & set(call.kwargs)),
                    arguments=(NewArg("command", code=_command(tokens)),), imports=imports, assumes=frozenset(used))


class _Flattened(_RunTime):
    """Code of a dict whose content cannot be seen, flattened when the job is built (scalar-script-params)."""


def _flattened_at_run_time(call: EstimatorCall, refused: Unprovable, options, used: set[str]) -> list:
    """script_params whose content cannot be seen: under scalar-script-params every key and value is a
    non-empty scalar, so the estimator sent key, value, key, value, ... in dict order, which the command
    line joins from the same dict object when the job is built."""
    if not options.assumes(SCALARS) or not unseen_entries_are_scalars(call):
        raise refused
    used.add(SCALARS)
    return [(_Flattened(call.code(call.kwargs["script_params"].value)), _UNSEEN)]


# The tokens written as code that is "" or starts with a space: the format of each kind's code.
_SPACED = {
    _Piece: "({})",
    _Flattened: '"".join(" " + quote(str(part)) for pair in {}.items() for part in pair)',
    _MaybeEmpty: '"".join(" " + quote(str(v)) for v in [{}] if v != "")',
}


def _command(tokens: list[str]) -> str:
    """The command line's code: one string, or literal runs joined to `quote(str(value))` for values
    only known at run time (quoted as the literals are, so each stays one argument)."""
    parts: list[str] = []
    text: list[str] = []
    for token in tokens:
        if isinstance(token, _RunTime) and type(token) not in _SPACED:
            # One argument, always sent: after the literals before it and their separating space.
            parts += [json.dumps(" ".join(text) + " "), f"quote(str({token}))"]
            text = [""]
        elif type(token) in _SPACED:
            # Code that is "" or starts with its own space (arguments sent on some runs, or a run-time run of them).
            if " ".join(text):
                parts.append(json.dumps(" ".join(text)))
            parts.append(_SPACED[type(token)].format(token))
            text = [""]
        else:
            text.append(token)
    if text != [""]:
        parts.append(json.dumps(" ".join(text)))
    return " + ".join(parts)


def _script(call: EstimatorCall) -> str:
    if not call.has("entry_script"):
        raise Unprovable("the call has no entry_script, and a v2 command needs the script to run")
    value = classify(call, call.kwargs["entry_script"].value)
    if value.kind is not Kind.LITERAL or not isinstance(value.value, str) or not value.value:
        raise Unprovable(f"entry_script={call.value_code('entry_script')} is not a string literal, and the v2 "
                         "command line is written at migration time")
    if value.value.lower().endswith(".ipynb"):
        raise Unprovable("the entry script is a notebook, which the estimator ran with papermill; migrate it by hand")
    return _quoted(call, value.value, "entry_script")


# The value of an argument only known at run time (or a dataset), for HyperDrive's pairing rule.
_UNSEEN = object()


def _swept(call: EstimatorCall, arguments: list[tuple[str, object]], options=None) -> list[tuple[str, object]]:
    """The arguments a HyperDrive sweep of the estimator (`codemods/v2/uses.py`) sends: what
    HyperDriveConfig(estimator=) kept of the fixed ones (`sent_positions`), then each sampled
    parameter as `--name ${{inputs.name}}`, as HyperDrive appended `name value`."""
    from estimig.codemods.arguments import paired_keys, sent_positions
    from estimig.codemods.v2 import Blocked
    from estimig.codemods.v2.uses import sweep_of

    try:
        found = sweep_of(call, options)
    except Blocked:
        return arguments  # the uses concern leaves the call, with its reason
    if found is None:
        return arguments
    if any(isinstance(token, _Flattened) for token, _ in arguments):
        raise Unprovable("script_params, which estimig cannot see, go to HyperDriveConfig(estimator=), which drops "
                         "the ones it samples; --target v2 does not migrate that yet")
    if any(isinstance(token, _Piece) for token, _ in arguments):
        raise Unprovable("script_params is changed on some paths to this call only, and HyperDrive pairs the "
                         "arguments up by position, which an argument present on some paths only shifts")
    if any(isinstance(token, _MaybeEmpty) for token, _ in arguments):
        raise Unprovable("a script_param may be '' at run time, which the estimator drops, and HyperDrive pairs the "
                         "arguments up by position, which a dropped value shifts; make it a literal or prove it "
                         "non-empty, then run estimig again")
    names = {p.flag.lstrip("-") for p in found.parameters}
    keys = paired_keys([value for _, value in arguments])
    if any(value is not _UNSEEN and not isinstance(value, str) for value in keys):
        raise Unprovable("HyperDriveConfig(estimator=) reads every other argument as a name, and one is not a "
                         "string, so the original fails when it is submitted; fix the arguments first")
    if any(isinstance(key, str) and key.lstrip("-") in names for key in keys):
        if any(key is _UNSEEN for key in keys):
            raise Unprovable("a script_param is also sampled by HyperDrive, which pairs the arguments up to drop "
                             "it, and an argument in a key's place is only known at run time; migrate by hand")
        arguments = [arguments[i] for i in sent_positions([value for _, value in arguments], names)]
    for parameter in found.parameters:
        arguments += [(shlex.quote(parameter.flag), parameter.flag), ("${{inputs.%s}}" % parameter.name, _UNSEEN)]
    return arguments


def _tokens(call: EstimatorCall, key, value, options, used: set[str]) -> list[tuple[str, object]]:
    """The command-line tokens of one script_params item, each with its value (`_UNSEEN` when only
    known at run time); a value whose type cannot be seen is a non-empty scalar under
    scalar-script-params (recorded in `used`)."""
    shown = f"script_params[{call.code(key)}]"
    key_value = classify(call, key)
    tokens = [] if key_value.value in (None, "") else [(_quoted(call, key_value.value, shown), key_value.value)]
    found = classify(call, value)
    if found.kind is Kind.LITERAL:
        items = found.value if isinstance(found.value, (list, tuple)) else [found.value]
        for item in items:
            if isinstance(item, (list, tuple, dict, set, frozenset)):
                raise Unprovable(f"{shown} holds a {type(item).__name__}, which the estimator passed as its str() "
                                 "or key by key; migrate by hand")
            if item is not None and item != "":
                tokens.append((_quoted(call, item, shown), item))
        return tokens
    if found.kind is Kind.SCALAR and found.nonempty:
        # The estimator passed str(value); a value that may be '' was dropped, so it must be provably not.
        return [*tokens, (_RunTime(call.code(found.node)), _UNSEEN)]
    if found.kind is Kind.SCALAR:
        # A str, int, float or bool that may be '': the estimator dropped it then, and only then.
        return [*tokens, (_MaybeEmpty(call.code(found.node)), _UNSEEN)]
    if found.kind is Kind.DATASET:
        renderer = getattr(options.concerns.get("datasets"), "render_token", None)
        if renderer is None:
            raise Unprovable(f"{shown} is a dataset, which needs the 'datasets' concern")
        return [*tokens, (renderer(call, found), _UNSEEN)]
    if found.kind is Kind.DATA_REFERENCE:
        renderer = getattr(options.concerns.get("datasets"), "render_reference", None)
        if renderer is None:
            raise Unprovable(f"{shown} is a datastore path, which needs the 'datasets' concern")
        return [*tokens, (renderer(call, found), _UNSEEN)]
    if found.kind is Kind.DATASTORE:
        raise Unprovable(f"{shown} = {call.code(value)} is a whole datastore, which --target v2 does not migrate yet "
                         "(pass a path on it: store.path(\"...\").as_mount())")
    if found.kind is Kind.UNKNOWN and found.shape is None and options.assumes(SCALARS):
        used.add(SCALARS)
        return [*tokens, (_RunTime(call.code(found.node)), _UNSEEN)]
    raise Unprovable(f"{shown} = {call.code(value)}: estimig cannot prove it is a str, int, float or bool (a list "
                     "would be flattened, None or '' dropped, a datastore path mounted), which --target v2 migrates",
                     SCALARS if found.kind is Kind.UNKNOWN and found.shape is None else None)


def _tokens_by_path(call: EstimatorCall, changed: ChangedOnSomePaths, options,
                    used: set[str]) -> list[tuple[str, object]]:
    """The tokens of a dict changed on some paths only, as the v1 concern renders it: its keys in the
    one order every path agrees with; a key with the same value expression on every path as usual;
    any other read from the dict when the job is built, and sent only where the path set it."""
    name = call.code(call.kwargs["script_params"].value)
    tokens: list[tuple[str, object]] = []
    for key, entries, everywhere in keys_by_path(call, changed):
        key_node = entries[0][0]
        if written_as_usual(entries, everywhere):
            sent = _tokens(call, key_node, entries[0][1], options, used)
        else:
            if any(literal(value) == (True, None) for _, value in entries):
                raise Unprovable(f"script_params[{call.code(key_node)}] is None on some path, which the estimator "
                                 "dropped, and --target v2 drops only ''")
            read, empty = read_by_path(call, name, key, entries)
            shown = f"script_params[{call.code(key_node)}]"
            sent = [(_quoted(call, key, shown), key), ((_MaybeEmpty if empty else _RunTime)(read), _UNSEEN)]
        if everywhere:
            tokens += sent
        elif sent:
            command = _command([token for token, _ in sent])
            tokens.append((_Piece(f'" " + {command} if {call.code(key_node)} in {name} else ""'), _UNSEEN))
    return tokens


def _quoted(call: EstimatorCall, value, shown: str) -> str:
    text = str(value)
    if "$" in text:
        # v1 expanded $VARIABLES on the compute ($AZ_BATCHAI_*, $AZUREML_*); most do not exist in v2.
        raise Unprovable(f"{shown} = {text!r} names a variable of the v1 runtime, which v2 does not set; "
                         "pass the value another way (a v2 input or environment variable), then run estimig again")
    return shlex.quote(text)
