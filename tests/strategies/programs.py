"""Whole programs whose estimator arguments are bound, rebound and changed along the way (issue 13).

A program is the preamble, then a sequence of steps, each one of:

- bind or rebind a dict (`script_params`, `sp`, `args`), a pip list (`pip`, `packages`) or an
  MpiConfiguration (`mpi`, `dist`) to a literal;
- a change estimig folds: `d[k] = v`, `d.update({...})`, `d.update(k=v)`, `del d[k]`,
  `lst.append(x)`, `lst += [...]`, `lst.extend([...])`, `mpi.process_count_per_node = N`,
  `mpi.node_count = N`;
- a change estimig must not fold: a user function that changes its argument, a method such as
  `pop`/`setdefault`/`insert`, another name bound to the object and changed through it;
- an `if flag:` whose branches rebind or change names bound before, on a literal flag (one branch
  runs, which estimig knows) or on one read at run time (either may);
- an estimator (Estimator or PyTorch on the preamble's cluster) using those names, submitted at
  once or some steps later.

The strategy runs the program in its head as it draws it (which keys a dict holds, which branch a
literal flag takes), so every program runs: `del` and `pop` only name keys that are there. It also
keeps, per estimator, what estimig can know at the call: `expect` is "migrate" when every name the
call uses reaches it with one definition whose changes are all folded, "flag" when an unfoldable
change reaches it, None when either may be right (branches, changes between construction and
submission, a pip list shared by estimators, which the estimator changes in place).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nbformat
from hypothesis import strategies as st

from strategies.arguments import _values
from strategies.preamble import PREAMBLE

IMPORTS = "from azureml.train.estimator import Estimator\nfrom azureml.train.dnn import PyTorch"
KINDS = ("Estimator", "PyTorch")
DICT_NAMES = ("script_params", "sp", "args")
LIST_NAMES = ("pip", "packages")
MPI_NAMES = ("mpi", "dist")
# Keys of dict literals and `d[k] = v` (the literal source and the key it makes).
_KEYS = ['"--lr"', '"--epochs"', '"--flag"', '"--data"', '"-v"', '""', "'--name'", '"--x"']
# `d.update(k=v)` keys are names.
_NAME_KEYS = ["lr", "epochs", "flag", "v", "data"]
_PIP = ['"pandas"', '"scikit-learn==0.24.2"', '"torchvision"', '"pillow>=8.0"', '"joblib"', '"pkg==1.0"']
_COUNTS = ["1", "2", "3"]

# Helpers a program may define (after the preamble) and then call on its objects: changes estimig
# cannot fold.
HELPERS = {
    "tweak": 'def tweak(d):\n    d["--x"] = 1\n',
    "add_package": 'def add_package(packages):\n    packages.append("extra-pkg")\n',
    "configure": "def configure(m):\n    m.process_count_per_node = 2\n",
}

# Issue 13, bug 1 (fixed): `mpi.node_count = N` folded onto an MpiConfiguration passed without the
# estimator's own node_count=N migrated to a ScriptRunConfig whose run_config.node_count was N. True
# would make such programs pass the same node_count to the estimator; False tests the general case.
AVOID_MPI_NODE_COUNT_BUG = False


@dataclass
class Var:
    kind: str  # dict, list, mpi
    keys: dict | None = None  # dict: the keys it holds (python values); mpi: node_count/process_count_per_node
    clean: bool = True  # no unfoldable change reached it since it was bound
    branchy: bool = False  # bound or changed in a branch: several definitions
    folded: int = 0  # folded changes since it was bound
    rebound: bool = False  # the binding reaching here is not the name's first
    node_count_assigned: str | None = None  # mpi: `mpi.node_count = N` since it was bound
    estimators: list = field(default_factory=list)  # lists, mpi: estimators it was passed to


@dataclass
class Est:
    name: str
    kind: str
    uses: dict[str, str]  # keyword -> variable name
    expect: str | None
    folded: int = 0
    rebound: bool = False
    submitted: bool = False


@dataclass
class Program:
    chunks: list[str]  # top-level statements after the preamble, in order
    helpers: list[str]
    estimators: list[Est]

    @property
    def head(self) -> str:
        return PREAMBLE.format(estimator_import=IMPORTS) + "".join("\n" + HELPERS[h] for h in self.helpers)

    @property
    def source(self) -> str:
        return self.head + "\n" + "".join(self.chunks)

    def notebook(self, cuts: list[int]) -> str:
        """The same program as a notebook: the head in one cell, the chunks cut into cells at `cuts`."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        cells = [nbformat.v4.new_code_cell(self.head.rstrip("\n"))]
        bounds = [0, *sorted(set(c for c in cuts if 0 < c < len(self.chunks))), len(self.chunks)]
        for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
            if i % 2:
                cells.append(nbformat.v4.new_markdown_cell(f"Step {i}"))
            cells.append(nbformat.v4.new_code_cell("".join(self.chunks[a:b]).rstrip("\n")))
        nb.cells = cells
        return nbformat.writes(nb)


class _Builder:
    def __init__(self, draw):
        self.draw = draw
        self.vars: dict[str, Var] = {}
        self.bound_before: set[str] = set()
        self.helpers: list[str] = []
        self.estimators: list[Est] = []
        self.chunks: list[str] = []
        self.flags = 0

    # --- literals ---------------------------------------------------------------------------------
    def dict_literal(self) -> tuple[str, dict]:
        pairs = self.draw(st.lists(st.tuples(st.sampled_from(_KEYS), _values), max_size=4,
                                   unique_by=lambda kv: eval(kv[0])))
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}", {eval(k): None for k, _ in pairs}

    def list_literal(self, min_size=0) -> str:
        items = self.draw(st.lists(st.sampled_from(_PIP), min_size=min_size, max_size=3))
        return "[" + ", ".join(items) + "]"

    def mpi_literal(self) -> tuple[str, dict]:
        args = {}
        if self.draw(st.booleans()):
            args["process_count_per_node"] = self.draw(st.sampled_from(_COUNTS))
        if self.draw(st.booleans()):
            args["node_count"] = self.draw(st.sampled_from(_COUNTS))
        return "MpiConfiguration(" + ", ".join(f"{k}={v}" for k, v in args.items()) + ")", args

    # --- steps: each returns the statement source and applies it to the state -------------------------
    def bind(self, kind: str, name: str | None = None) -> str:
        names = {"dict": DICT_NAMES, "list": LIST_NAMES, "mpi": MPI_NAMES}[kind]
        if name is None:
            name = self.draw(st.sampled_from([n for n in names if n not in self.vars or self.vars[n].kind == kind]))
        if kind == "dict":
            code, keys = self.dict_literal()
        elif kind == "list":
            code, keys = self.list_literal(), None
        else:
            code, keys = self.mpi_literal()
        self.vars[name] = Var(kind, keys, rebound=name in self.bound_before)
        self.bound_before.add(name)
        return f"{name} = {code}\n"

    def folded(self, name: str) -> str:
        var = self.vars[name]
        var.folded += 1
        if var.kind == "dict":
            op = self.draw(st.sampled_from(["setitem", "update", "update_kw", "delitem"] if var.keys else
                                           ["setitem", "update", "update_kw"]))
            if op == "setitem":
                key = self.draw(st.sampled_from(_KEYS))
                var.keys[eval(key)] = None
                return f"{name}[{key}] = {self.draw(_values)}\n"
            if op == "update":
                code, keys = self.dict_literal()
                var.keys.update(keys)
                return f"{name}.update({code})\n"
            if op == "update_kw":
                keys = self.draw(st.lists(st.sampled_from(_NAME_KEYS), min_size=1, max_size=3, unique=True))
                var.keys.update(dict.fromkeys(keys))
                return f"{name}.update(" + ", ".join(f"{k}={self.draw(_values)}" for k in keys) + ")\n"
            key = self.draw(st.sampled_from(sorted(var.keys)))
            del var.keys[key]
            return f"del {name}[{key!r}]\n"
        if var.kind == "list":
            op = self.draw(st.sampled_from(["append", "iadd", "extend"]))
            if op == "append":
                return f"{name}.append({self.draw(st.sampled_from(_PIP))})\n"
            return f"{name} += {self.list_literal()}\n" if op == "iadd" else f"{name}.extend({self.list_literal()})\n"
        attribute = self.draw(st.sampled_from(["process_count_per_node", "node_count"]))
        value = self.draw(st.sampled_from(_COUNTS))
        var.keys[attribute] = value
        if attribute == "node_count":
            var.node_count_assigned = value
        return f"{name}.{attribute} = {value}\n"

    def unfolded(self, name: str) -> str:
        var = self.vars[name]
        var.clean = False
        if var.kind == "dict":
            options = ["tweak", "pop_default", "setdefault", "alias"] + (["pop"] if var.keys else [])
            op = self.draw(st.sampled_from(options))
            if op == "tweak":
                self.helper("tweak")
                var.keys["--x"] = None
                return f"tweak({name})\n"
            if op == "pop":
                key = self.draw(st.sampled_from(sorted(var.keys)))
                del var.keys[key]
                return f"{name}.pop({key!r})\n"
            if op == "pop_default":
                var.keys.pop("--missing", None)
                return f'{name}.pop("--missing", None)\n'
            if op == "setdefault":
                var.keys.setdefault("--s", None)
                return f'{name}.setdefault("--s", 5)\n'
            var.keys["--y"] = None
            return f'other = {name}\nother["--y"] = 2\n'
        if var.kind == "list":
            op = self.draw(st.sampled_from(["helper", "insert", "alias"]))
            if op == "helper":
                self.helper("add_package")
                return f"add_package({name})\n"
            if op == "insert":
                return f'{name}.insert(0, "first-pkg")\n'
            return f'other = {name}\nother.append("aliased-pkg")\n'
        op = self.draw(st.sampled_from(["helper", "alias"]))
        if op == "helper":
            self.helper("configure")
            var.keys["process_count_per_node"] = "2"
            return f"configure({name})\n"
        var.keys["process_count_per_node"] = "3"
        return f"other = {name}\nother.process_count_per_node = 3\n"

    def helper(self, name: str) -> None:
        if name not in self.helpers:
            self.helpers.append(name)

    def change(self, name: str) -> str:
        return self.folded(name) if self.draw(st.integers(0, 3)) else self.unfolded(name)

    def branch(self) -> str:
        """`flag = <literal>` (or a value read at run time, which is `taken` when the program runs) then
        `if flag:` (and maybe `else:`), each branch rebinding or changing names."""
        self.flags += 1
        flag = f"flag{self.flags}"
        taken = self.draw(st.booleans())
        known = self.draw(st.booleans())
        before = dict(self.vars)
        value = f"{taken}" if known else f'__import__("os").environ.get("ESTIMIG_{flag.upper()}", "{taken}") == "True"'
        code = f"{flag} = {value}\nif {flag}:\n"
        bodies = [True, False] if self.draw(st.booleans()) else [True]
        touched: set[str] = set()
        for which in bodies:
            if which is False:
                code += "else:\n"
            # A branch that is not taken must not change the state: work on a copy and throw it away.
            saved = {n: Var(v.kind, dict(v.keys) if v.keys is not None else None, v.clean, v.branchy, v.folded,
                            v.rebound, v.node_count_assigned, list(v.estimators)) for n, v in self.vars.items()}
            lines = []
            for _ in range(self.draw(st.integers(1, 2))):
                name = self.draw(st.sampled_from(sorted(self.vars)))
                touched.add(name)
                if self.draw(st.booleans()):
                    lines.append(self.bind(self.vars[name].kind, name))
                else:
                    lines.append(self.change(name))
            code += "".join("    " + line + "\n" for chunk in lines for line in chunk.splitlines())
            if which is not taken:
                self.vars = saved
        self.branch_touched = touched
        if known:
            return code  # estimig knows which branch runs: the program is as straight as it ran
        for name in touched:
            self.vars[name].branchy = True
            # The binding from before the branch still reaches on the other path: so do its estimators.
            for est in before[name].estimators:
                if est not in self.vars[name].estimators:
                    self.vars[name].estimators.append(est)
        return code

    def estimator(self) -> str:
        kind = self.draw(st.sampled_from(KINDS))
        name = f"est{len(self.estimators) + 1}"
        kwargs = {"source_directory": '"src"', "entry_script": '"train.py"', "compute_target": "cluster"}
        uses: dict[str, str] = {}
        for keyword, kind_ in (("script_params", "dict"), ("pip_packages", "list"), ("distributed_training", "mpi")):
            names = sorted(n for n, v in self.vars.items() if v.kind == kind_)
            if names and self.draw(st.integers(0, 3)):
                uses[keyword] = kwargs[keyword] = self.draw(st.sampled_from(names))
        if "pip_packages" not in uses and self.draw(st.booleans()):
            kwargs["pip_packages"] = self.list_literal()
        if "distributed_training" in uses:
            var = self.vars[uses["distributed_training"]]
            node_count = self.draw(st.sampled_from([None, *_COUNTS]))
            if AVOID_MPI_NODE_COUNT_BUG and var.node_count_assigned is not None:
                node_count = var.node_count_assigned
            if node_count is not None:
                kwargs["node_count"] = node_count
        used = [self.vars[n] for n in uses.values()]
        expect: str | None = "migrate"
        if any(v.branchy for v in used):
            expect = None
        if any(not v.clean for v in used):
            expect = "flag"
        est = Est(name, kind, uses, expect, sum(v.folded for v in used), any(v.rebound for v in used))
        # An object passed to several estimators: the estimator changes a pip list in place, and an
        # MpiConfiguration estimig would rebuild is used elsewhere too; either outcome may be right.
        for keyword in ("pip_packages", "distributed_training"):
            if keyword in uses:
                var = self.vars[uses[keyword]]
                for other in var.estimators:
                    other.expect = None
                if var.estimators:
                    est.expect = None
                var.estimators.append(est)
        self.estimators.append(est)
        return f"{name} = {kind}(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")\n"

    def submit(self, est: Est) -> str:
        est.submitted = True
        return f'run = Experiment(ws, "x").submit({est.name})\n'

    def touched(self, name: str) -> None:
        """`name` is changed or bound again: between an estimator's construction and its submission, or after
        an estimator took the list or MpiConfiguration it holds. Either outcome may be right there."""
        for est in self.estimators:
            if not est.submitted and name in est.uses.values():
                est.expect = None
        var = self.vars.get(name)
        if var is not None:  # a list or MpiConfiguration an estimator took is used again
            for est in var.estimators:
                est.expect = None

    def step(self) -> str:
        choices = ["bind"]
        if self.vars:
            choices += ["rebind", "change", "change", "change", "branch", "estimator", "estimator"]
        pending = [e for e in self.estimators if not e.submitted]
        if pending:
            choices.append("submit")
        what = self.draw(st.sampled_from(choices))
        if what == "bind":
            return self.bind(self.draw(st.sampled_from(["dict", "list", "mpi"])))
        if what == "submit":
            return self.submit(self.draw(st.sampled_from(pending)))
        if what == "estimator":
            code = self.estimator()
            if self.draw(st.booleans()):
                code += self.submit(self.estimators[-1])
            return code
        if what == "branch":
            before = {n: v for n, v in self.vars.items()}
            code = self.branch()
            for name in self.vars:
                if self.vars[name] is not before.get(name) or self.vars[name].branchy \
                        or name in self.branch_touched:
                    self.touched(name)
                old = before.get(name)
                if old is not None and old is not self.vars[name] and name in self.branch_touched:
                    # The branch used the object an estimator took, then bound the name again:
                    # touched() above saw only the new binding.
                    for est in old.estimators:
                        est.expect = None
            return code
        name = self.draw(st.sampled_from(sorted(self.vars)))
        self.touched(name)
        if what == "rebind":
            return self.bind(self.vars[name].kind, name)
        return self.change(name)


@st.composite
def programs(draw, max_steps: int = 10) -> Program:
    builder = _Builder(draw)
    for _ in range(draw(st.integers(1, max_steps))):
        builder.chunks.append(builder.step())
    if not builder.estimators or draw(st.booleans()):
        builder.chunks.append(builder.estimator())
    for est in builder.estimators:
        if not est.submitted:
            builder.chunks.append(builder.submit(est))
    return Program(builder.chunks, builder.helpers, builder.estimators)


@st.composite
def notebooks(draw, max_steps: int = 10) -> tuple[Program, str]:
    program = draw(programs(max_steps))
    cuts = draw(st.lists(st.integers(1, max(1, len(program.chunks) - 1)), max_size=4))
    return program, program.notebook(cuts)
