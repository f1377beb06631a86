"""estimig.values: what a value in an estimator call provably is."""

from __future__ import annotations

import libcst as cst
import pytest

from estimig.facts import collect
from estimig.values import Kind, classify

PREAMBLE = """\
from azureml.core import Dataset, Datastore, Workspace
from azureml.data.data_reference import DataReference
from azureml.data.datapath import DataPath
from azureml.data.dataset_consumption_config import DatasetConsumptionConfig
from azureml.train.estimator import Estimator
ws = Workspace.from_config()
store = ws.get_default_datastore()
ds = Dataset.get_by_name(ws, "mnist")
ref = store.path("x").as_mount()
"""

CASES = [
    ("0.5", Kind.LITERAL),
    ('f"{x}"', Kind.SCALAR),
    ("store", Kind.DATASTORE),
    ('Datastore.get(ws, "blob")', Kind.DATASTORE),
    ('ws.datastores["blob"]', Kind.DATASTORE),
    ("store.path('a')", Kind.DATA_REFERENCE),
    ("store.path('a').as_download(path_on_compute='/tmp')", Kind.DATA_REFERENCE),
    ("store.as_mount()", Kind.DATA_REFERENCE),
    ("ref", Kind.DATA_REFERENCE),
    ("DataReference(datastore=store, data_reference_name='n')", Kind.DATA_REFERENCE),
    ("DataPath(datastore=store, path_on_datastore='p')", Kind.DATA_PATH),
    ("ds", Kind.DATASET_OBJECT),
    ('Dataset.File.from_files(path=(store, "a/**"))', Kind.DATASET_OBJECT),
    ('Dataset.Tabular.from_delimited_files(path=[(store, "a.csv")]).take(10)', Kind.DATASET_OBJECT),
    ("ds.as_mount()", Kind.DATASET),
    ("ds.as_download()", Kind.DATASET),
    ("ds.as_named_input('m')", Kind.DATASET),
    ("ds.as_named_input('m').as_mount('/tmp/m')", Kind.DATASET),
    ("DatasetConsumptionConfig('m', ds, mode='download')", Kind.DATASET),
    # Shared method names are only trusted on a proven receiver.
    ("unknown.as_mount()", Kind.UNKNOWN),
    ("unknown.as_named_input('m')", Kind.DATASET),  # only datasets have as_named_input
    ("unknown.path('a')", Kind.UNKNOWN),
    ("ds.as_named_input('m').as_named_input('n')", Kind.UNKNOWN),
    ("ref.as_named_input('m')", Kind.UNKNOWN),
]


@pytest.mark.parametrize("code,kind", [pytest.param(c, k, id=c) for c, k in CASES])
def test_classify(code, kind):
    module = cst.parse_module(PREAMBLE + f"est = Estimator('src', script_params={{'--v': {code}}})\n")
    call = collect(module).calls[0]
    value = call.kwargs["script_params"].value.elements[0].value
    assert classify(call, value).kind is kind


# os.path results: a str, and whether it can be '' (abspath('') is the working directory, dirname of
# a relative name is '', the dirname of an absolute path is absolute).
PATHS = [
    ('os.path.abspath("")', True),
    ("os.path.realpath(__file__)", True),
    ("os.path.dirname(os.path.realpath(__file__))", True),
    ("os.path.dirname(__file__)", False),
    ('os.path.dirname("train.csv")', False),
    ("os.path.basename(os.getcwd())", False),
    ('os.path.normpath("")', True),
    ('os.path.join(os.path.dirname(__file__), "data")', True),
    ("os.path.join(os.path.dirname(__file__))", False),
    ("os.path.abspath(here)", True),
    ("os.path.join(here, os.path.basename(here))", True),
    ("os.getcwd()", True),
]


@pytest.mark.parametrize("code,nonempty", [pytest.param(c, n, id=c) for c, n in PATHS])
def test_os_path_results_are_strings(code, nonempty):
    module = cst.parse_module("import os\n" + PREAMBLE + "here = os.path.dirname(os.path.abspath(__file__))\n"
                              + f"est = Estimator('src', script_params={{'--v': {code}}})\n")
    call = collect(module).calls[0]
    value = classify(call, call.kwargs["script_params"].value.elements[0].value)
    assert value.kind is Kind.SCALAR and value.nonempty is nonempty


@pytest.mark.parametrize("code", ["os.path.abspath(ds)", "os.path.dirname(unknown)", "os.path.join(ds, 'a')",
                                  "os.path.abspath(__file__, 'x')"])
def test_os_path_of_what_may_not_be_a_str_is_not_a_str(code):
    module = cst.parse_module("import os\n" + PREAMBLE + f"est = Estimator('src', script_params={{'--v': {code}}})\n")
    call = collect(module).calls[0]
    assert classify(call, call.kwargs["script_params"].value.elements[0].value).kind is not Kind.SCALAR


def test_a_bound_file_name_is_not_the_running_file():
    module = cst.parse_module("import os\n" + PREAMBLE + "__file__ = ''\n"
                              + "est = Estimator('src', script_params={'--v': os.path.dirname(__file__)})\n")
    call = collect(module).calls[0]
    assert classify(call, call.kwargs["script_params"].value.elements[0].value).nonempty is False


# A function of this file returns an SDK object kind only when every path returns one.
HELPERS = [
    ("def f(name):\n    try:\n        t = ComputeTarget(ws, name)\n    except Exception:\n"
     "        t = ComputeTarget.create(ws, name, None)\n    return t\n", Kind.COMPUTE),
    ("def f(name):\n    if name:\n        return Datastore.get(ws, name)\n    return ws.get_default_datastore()\n",
     Kind.DATASTORE),
    ("def f(name):\n    if name:\n        return ComputeTarget(ws, name)\n", Kind.UNKNOWN),  # falls off: None
    ("def f(name):\n    if not name:\n        return\n    return ComputeTarget(ws, name)\n", Kind.UNKNOWN),
    ("def f(name):\n    if name:\n        return ComputeTarget(ws, name)\n    return name\n", Kind.UNKNOWN),
    ("def f(name):\n    yield ComputeTarget(ws, name)\n    return ComputeTarget(ws, name)\n", Kind.UNKNOWN),
    ("@cache\ndef f(name):\n    return ComputeTarget(ws, name)\n", Kind.UNKNOWN),
    ("def f(name):\n    def g():\n        return 1\n    return ComputeTarget(ws, name)\n", Kind.COMPUTE),
    ("def f(name):\n    return ComputeTarget(ws, name)\ndef f(name):\n    return name\n", Kind.UNKNOWN),
    # Ends in a try or an if/elif/else whose every way out returns or raises: nothing falls off.
    ("def f(name):\n    try:\n        return ComputeTarget(ws, name)\n    except Exception:\n"
     "        return ComputeTarget.create(ws, name, None)\n", Kind.COMPUTE),
    ("def f(name):\n    if name == 'a':\n        return ComputeTarget(ws, name)\n    elif name:\n"
     "        raise ValueError(name)\n    else:\n        return ComputeTarget(ws, 'b')\n", Kind.COMPUTE),
    ("def f(name):\n    try:\n        return ComputeTarget(ws, name)\n    except Exception:\n        pass\n",
     Kind.UNKNOWN),  # the handler falls off: None
    ("def f(name):\n    if name:\n        return ComputeTarget(ws, name)\n    elif name is None:\n"
     "        return ComputeTarget(ws, 'b')\n", Kind.UNKNOWN),  # no else: falls off
    ("def f(name):\n    with suppress(Exception):\n        return ComputeTarget(ws, name)\n", Kind.UNKNOWN),
]


@pytest.mark.parametrize("helper,kind", [pytest.param(h, k, id=str(i)) for i, (h, k) in enumerate(HELPERS)])
def test_what_a_helper_function_returns(helper, kind):
    module = cst.parse_module("from azureml.core.compute import ComputeTarget\n" + PREAMBLE + helper
                              + "est = Estimator('src', compute_target=f('gpu'))\n")
    call = collect(module).calls[0]
    assert classify(call, call.kwargs["compute_target"].value).kind is kind


# What argparse and os.environ give: (code before the estimator, the value, its kind, never '').
RUN_TIME_TEXT = [
    ('import argparse\np = argparse.ArgumentParser()\np.add_argument("--tag", default="")\nargs = p.parse_args()\n',
     "args.tag", Kind.SCALAR, False),  # no type=: argparse gives the text (or the str default)
    ('import argparse\np = argparse.ArgumentParser()\np.add_argument("--n", type=int, default=2)\nargs = p.parse_args()\n',
     "args.n", Kind.SCALAR, True),
    ('import argparse\np = argparse.ArgumentParser()\np.add_argument("--tag")\nargs = p.parse_args()\n',
     "args.tag", Kind.UNKNOWN, False),  # no default: None unless given
    ('import argparse\np = argparse.ArgumentParser()\np.add_argument("--n", type=int, default=2)\nargs = p.parse_args()\n'
     'args.n = None\n', "args.n", Kind.UNKNOWN, False),  # changed after parsing
    ('import argparse\nbase = argparse.ArgumentParser(add_help=False)\np = argparse.ArgumentParser(parents=[base])\n'
     'p.add_argument("--n", type=int, default=2)\nargs = p.parse_args()\n', "args.n", Kind.UNKNOWN, False),
    ('import argparse\nDIR = "data"\np = argparse.ArgumentParser()\np.add_argument("--d", default=DIR)\n'
     'args = p.parse_args()\n', "args.d", Kind.SCALAR, False),
    ("import os\n", 'os.environ.get("TAG", "x")', Kind.SCALAR, False),  # a variable may be set to ''
    ("import os\n", 'os.getenv("TAG", "")', Kind.SCALAR, False),
    ("import os\n", 'os.environ.get("TAG")', Kind.UNKNOWN, False),  # None when unset
    ("import os\n", 'os.environ.get("TAG", 3)', Kind.UNKNOWN, False),
]


@pytest.mark.parametrize("before,code,kind,nonempty", [pytest.param(*case, id=case[1] + str(i))
                                                       for i, case in enumerate(RUN_TIME_TEXT)])
def test_run_time_text(before, code, kind, nonempty):
    assert _first_value(before + f"est = Estimator('src', script_params={{'--v': {code}}})\n") == (kind, nonempty)


def _first_value(program: str):
    """(kind, never '') of the first script_params value of the program's first estimator."""
    call = collect(cst.parse_module(PREAMBLE + program)).calls[0]
    value = classify(call, call.kwargs["script_params"].value.elements[0].value)
    return value.kind, value.nonempty if value.kind is Kind.SCALAR else False


def test_a_namespace_handed_to_main_keeps_its_options_types():
    code = PREAMBLE + (
        "import argparse\n"
        "def main(args):\n"
        "    est = Estimator('src', script_params={'--n': args.n})\n"
        "p = argparse.ArgumentParser()\np.add_argument('--n', type=int, default=2)\n"
        "args = p.parse_args()\nmain(args)\n")
    call = collect(cst.parse_module(code)).calls[0]
    value = classify(call, call.kwargs["script_params"].value.elements[0].value)
    assert (value.kind, value.nonempty) == (Kind.SCALAR, True)
    changed = code.replace("    est =", "    args.n = ''\n    est =")
    call = collect(cst.parse_module(changed)).calls[0]
    assert classify(call, call.kwargs["script_params"].value.elements[0].value).kind is Kind.UNKNOWN


@pytest.mark.parametrize("between,kind", [
    ("    n = args.n\n", Kind.SCALAR),  # reading an option rebinds nothing
    ("    d = args.__dict__\n    d['n'] = ''\n", Kind.UNKNOWN),
    ("    other = args\n    other.n = ''\n", Kind.UNKNOWN),
    ("    tweak(args)\n", Kind.UNKNOWN),
    ("    ws = Workspace(subscription_id=args.n)\n", Kind.SCALAR),  # a call given an option cannot rebind it
    ("    tweak(vars(args))\n", Kind.UNKNOWN),
    ("    tweak(args.__dict__)\n", Kind.UNKNOWN),
])
def test_what_may_rebind_an_option_after_parsing(between, kind):
    code = PREAMBLE + (
        "import argparse\n"
        "def main(args):\n" + between +
        "    est = Estimator('src', script_params={'--n': args.n})\n"
        "p = argparse.ArgumentParser()\np.add_argument('--n', type=int, default=2)\n"
        "args = p.parse_args()\nmain(args)\n")
    call = collect(cst.parse_module(code)).calls[0]
    assert classify(call, call.kwargs["script_params"].value.elements[0].value).kind is kind


# Arithmetic of number constants is folded: Python computes it the same way at migration time.
FOLDED = [
    ("60 * 60 * 3", 10800),
    ("HOURS * 60", 360),
    ("-(2 ** 10) + 1", -1023),
    ("7 // 2 + 7 % 2", 4),
    ("1 / 4", 0.25),
    ("1 / 0", None),  # raises at run time: not folded
    ("2 ** 1000", None),  # big exponents are not folded
    ("(-8) ** 0.5", None),  # complex
    ("HOURS * n", None),
    ("'a' * 3", None),  # str arithmetic: only + (as text) is folded
    ("True + 1", None),  # a bool is not a number here
]


@pytest.mark.parametrize("code,value", FOLDED, ids=[c for c, _ in FOLDED])
def test_arithmetic_of_constants_is_folded(code, value):
    module = cst.parse_module(PREAMBLE + f"HOURS = 6\nest = Estimator('src', script_params={{'--v': {code}}})\n")
    call = collect(module).calls[0]
    found = classify(call, call.kwargs["script_params"].value.elements[0].value)
    assert (found.value if found.kind is Kind.LITERAL else None) == value
    if value is None:
        assert found.kind is not Kind.LITERAL


ARGPARSE_DEFAULTS = [
    ('p = argparse.ArgumentParser()\np.add_argument("--n", type=str, default=9)', Kind.SCALAR, False),  # 9 or text
    ('p = argparse.ArgumentParser()\np.add_argument("--n", type=int, default="4")', Kind.SCALAR, True),  # converted
    ('p = argparse.ArgumentParser()\np.add_argument("--n", type=float, default=1)', Kind.SCALAR, True),
    ('p = argparse.ArgumentParser()\np.add_argument("--n", type=int, default=True)', Kind.UNKNOWN, False),
    # Under SUPPRESS an option not given has no attribute: reading it raises in both programs.
    ('p = argparse.ArgumentParser(argument_default=argparse.SUPPRESS)\np.add_argument("--n", type=int)',
     Kind.SCALAR, True),
    ('p = argparse.ArgumentParser(argument_default=argparse.SUPPRESS)\np.add_argument("--n")', Kind.SCALAR, False),
    ('p = argparse.ArgumentParser(argument_default=argparse.SUPPRESS)\np.add_argument("--n", action="store_true")',
     Kind.SCALAR, True),
    ('p = argparse.ArgumentParser(argument_default=None)\np.add_argument("--n", type=int)', Kind.UNKNOWN, False),
    # Any other argument_default is the value of every option given none.
    ('p = argparse.ArgumentParser(argument_default=[])\np.add_argument("--n", type=int)', Kind.UNKNOWN, False),
    ('p = argparse.ArgumentParser(argument_default=0)\np.add_argument("--n", action="store_true")',
     Kind.UNKNOWN, False),
    ('p = argparse.ArgumentParser(argument_default=0)\np.add_argument("--n", type=int, default=3)', Kind.SCALAR, True),
]


@pytest.mark.parametrize("parser,kind,nonempty", ARGPARSE_DEFAULTS, ids=[p.split("\n")[1] + p.split("(")[1][:20]
                                                                         for p, _, _ in ARGPARSE_DEFAULTS])
def test_what_an_option_holds_whenever_it_can_be_read(parser, kind, nonempty):
    program = "import argparse\n" + parser + "\nargs = p.parse_args()\nest = Estimator('src', script_params={'--v': args.n})\n"
    assert _first_value(program) == (kind, nonempty)


def test_a_namespace_parsed_in_the_call_to_main_keeps_its_options_types():
    code = PREAMBLE + (
        "import argparse\n"
        "def main(args):\n"
        "    est = Estimator('src', script_params={'--n': args.n})\n"
        "p = argparse.ArgumentParser()\np.add_argument('--n', type=int, default=2)\n"
        "main(p.parse_args())\n")
    call = collect(cst.parse_module(code)).calls[0]
    assert classify(call, call.kwargs["script_params"].value.elements[0].value).nonempty
    for other in ("main(p.parse_args())\nmain(None)\n", "main(p.parse_known_args())\n", "main(parse_args())\n"):
        changed = code.replace("main(p.parse_args())\n", other)
        call = collect(cst.parse_module(changed)).calls[0]
        assert classify(call, call.kwargs["script_params"].value.elements[0].value).kind is Kind.UNKNOWN, other


_PARSER = "import argparse, sys\np = argparse.ArgumentParser()\np.add_argument('--n')\np.add_argument('--k', type=int)\nargs = p.parse_args()\n"
_CALL = "est = Estimator('src', script_params={'--v': args.n})\n"

# What the program tested before the estimator proves what argparse's declaration does not.
GUARDED = [
    ("", Kind.UNKNOWN, False),  # no default and no test: None unless given
    ("if not args.n:\n    sys.exit('--n is required')\n", Kind.SCALAR, True),
    ("if not args.n: exit(1)\n", Kind.SCALAR, True),
    ("if args.n is None:\n    p.error('--n is required')\n", Kind.SCALAR, False),  # not None, may be ''
    ("if args.k is None or not args.n:\n    raise SystemExit(2)\n", Kind.SCALAR, True),
    ("if not (args.n and args.k):\n    quit()\n", Kind.SCALAR, True),
    ("if not args.n:\n    print('no --n')\n", Kind.UNKNOWN, False),  # goes on
    ("if not args.n:\n    sys.exit(1)\nelse:\n    pass\n", Kind.UNKNOWN, False),  # not a guard with else
    ("if args.n:\n    sys.exit(1)\n", Kind.UNKNOWN, False),  # the wrong way round
    ("if not args.n or args.k:\n    sys.exit(1)\n", Kind.SCALAR, True),  # false: each side false
    ("if not args.n and args.k:\n    sys.exit(1)\n", Kind.UNKNOWN, False),  # false: either side
    ("try:\n    if not args.n:\n        sys.exit(1)\nexcept SystemExit:\n    pass\n", Kind.UNKNOWN, False),
    ("if not args.n:\n    exit = print\n    exit(1)\n", Kind.UNKNOWN, False),  # not the builtin
    ("args2 = p.parse_args()\nif not args2.n:\n    sys.exit(1)\n", Kind.UNKNOWN, False),  # another namespace
]


@pytest.mark.parametrize("guard,kind,nonempty", GUARDED, ids=[g.replace("\n", " ") or "none" for g, _, _ in GUARDED])
def test_a_test_made_before_the_estimator_proves_an_option(guard, kind, nonempty):
    assert _first_value(_PARSER + guard + _CALL) == (kind, nonempty)


ENCLOSING = [
    ("if args.n:\n    " + _CALL, Kind.SCALAR, True),
    ("if args.n is not None:\n    " + _CALL, Kind.SCALAR, False),
    ("if args.n is None:\n    pass\nelse:\n    " + _CALL, Kind.SCALAR, False),
    ("if not args.n:\n    pass\nelif args.k:\n    " + _CALL, Kind.SCALAR, True),
    ("if args.n or args.k:\n    " + _CALL, Kind.UNKNOWN, False),
    ("def main(args):\n    if not args.n:\n        return\n    " + _CALL.replace("est", "e") + "main(args)\n",
     Kind.SCALAR, True),
]


@pytest.mark.parametrize("code,kind,nonempty", ENCLOSING, ids=[c.split("\n")[0] for c, _, _ in ENCLOSING])
def test_an_estimator_inside_a_test_of_an_option(code, kind, nonempty):
    assert _first_value(_PARSER + code) == (kind, nonempty)
