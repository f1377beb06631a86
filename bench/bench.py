#!/usr/bin/env python
"""estimig's benchmark: whole processes, timed side by side with the tools users already run.

    python bench/bench.py                 # the full benchmark (a few minutes on 2 cores)
    python bench/bench.py --reps 3 --json results.json
    python bench/bench.py --tiny          # a seconds-long smoke run on a tiny tree (used by the tests)

It builds three trees in a temporary folder (nothing else is written, apart from Python's own
bytecode caches), then runs every measurement in a fresh child process, round-robin over the repetitions so that load on the machine
hits every tool alike, and reports medians, ratios, and each process's peak memory (the largest
resident set of the process or any of its children, from wait4's rusage). See bench/README.md and
docs/performance.md. It installs nothing: a missing tool is named, with the command to install it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Folder names some tool skips by default (estimig's and ruff's default excludes, libcst's none): the
# copy renames them (`build` -> `build_`) so that every tool sees every file; counts are reported.
SKIPPED_NAMES = {".git", ".hg", ".svn", ".venv", "venv", ".env", "env", ".tox", ".nox", "build", "dist", "_build",
                 "__pycache__", ".ipynb_checkpoints", "node_modules", ".mypy_cache", ".pytest_cache",
                 ".ruff_cache", ".eggs", "site-packages", "buck-out", ".direnv", "__pypackages__", ".pants.d",
                 ".pytype", ".vscode", ".bzr", ".git-rewrite", ".pyenv"}
ROOT_DISTRIBUTIONS = ("azureml-core", "azureml-train-core")
# What `python -m venv` puts in every environment, next to the packages installed into it.
BOOTSTRAP = ("pip", "setuptools", "wheel")
PARSE_SCRIPT = ("import os, sys, libcst\n"
                "for folder, _, names in sorted(os.walk(sys.argv[1])):\n"
                "    for name in sorted(names):\n"
                "        if name.endswith('.py'):\n"
                "            with open(os.path.join(folder, name), encoding='utf-8') as f:\n"
                "                libcst.parse_module(f.read())\n")
PARSE_ONE = "import sys, libcst\nwith open(sys.argv[1], encoding='utf-8') as f:\n    libcst.parse_module(f.read())\n"


@dataclass
class Case:
    key: str
    label: str
    argv: list[str]
    ok_codes: tuple[int, ...] = (0,)
    setup: object = None  # a callable run (untimed) before each repetition
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    missing: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def peak_mb(self) -> float | None:
        return max(self.rss_kb) / 1024 if self.rss_kb else None


GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


# Children run as in an installed environment: there, every package (estimig included) has its
# bytecode compiled at install time. A PYTHONDONTWRITEBYTECODE left in a development shell would make
# every estimig process compile its own modules from source (~0.1 s) while its peers load theirs.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str], cwd: str | None = None) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in KiB (the process or any descendant it waited for), exit code.

    Peak memory comes from wait4's rusage as seen by GNU time when it is there: a child forked
    straight from this (large) process would inherit its high-water mark and read too high."""
    fd, rss_file = tempfile.mkstemp(prefix="estimig-bench-rss-")
    os.close(fd)
    wrapped = [GNU_TIME, "-q", "-f", "%M %x", "-o", rss_file, *argv] if GNU_TIME else argv
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, cwd=cwd, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.stderr.close()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        rss = usage.ru_maxrss
        if GNU_TIME:
            fields = Path(rss_file).read_text(encoding="utf-8").split()
            if len(fields) >= 2 and fields[-2].isdigit():
                rss, code = int(fields[-2]), int(fields[-1])
    finally:
        os.unlink(rss_file)
    run_once.last_stderr = err.decode(errors="replace")
    return elapsed, rss, code


def find_tool(name: str) -> str | None:
    """The tool's real executable (next to this interpreter first: a pyenv shim costs ~100 ms)."""
    beside = BIN / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


# -- trees ------------------------------------------------------------------------------------
def _closure(roots: tuple[str, ...]) -> list[importlib.metadata.Distribution]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    dists = {canonicalize_name(d.metadata["Name"]): d for d in importlib.metadata.distributions()}
    missing = [r for r in roots if canonicalize_name(r) not in dists]
    if missing:
        raise SystemExit(f"bench: {', '.join(missing)} not installed here (pip install {' '.join(missing)}); "
                         "or pass --tree DIR with any folder of .py files")
    seen: dict[str, importlib.metadata.Distribution] = {}
    stack = list(roots) + list(BOOTSTRAP)
    while stack:
        name = canonicalize_name(stack.pop())
        if name in seen or name not in dists:
            continue
        seen[name] = dists[name]
        for text in dists[name].requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                stack.append(req.name)
    return sorted(seen.values(), key=lambda d: d.metadata["Name"].lower())


def _safe_rel(rel: str) -> str:
    parts = rel.replace("\\", "/").split("/")
    return "/".join([p + "_" if p in SKIPPED_NAMES else p for p in parts[:-1]] + parts[-1:])


def build_large_tree(dest: Path, source: str | None, limit: int | None) -> dict:
    """Every .py file of the environment's distributions in the closure of azureml-core and
    azureml-train-core (plus pip/setuptools/wheel), or of the folder given with --tree."""
    pairs: list[tuple[Path, str]] = []
    if source:
        base = Path(source)
        for path in sorted(base.rglob("*.py")):
            if path.is_file():
                pairs.append((path, str(path.relative_to(base))))
        origin = f"every .py file under {source}"
        dists = []
    else:
        dists = _closure(ROOT_DISTRIBUTIONS)
        for dist in dists:
            for file in dist.files or ():
                rel = str(file)
                if rel.endswith(".py") and not rel.startswith(".."):
                    path = Path(dist.locate_file(file))
                    if path.is_file():
                        pairs.append((path, rel))
        origin = (f"every .py file of the {len(dists)} installed distributions in the dependency closure of "
                  f"{' + '.join(ROOT_DISTRIBUTIONS)} (+ {', '.join(BOOTSTRAP)})")
    if limit:
        pairs = pairs[:limit]
    written = set()
    for path, rel in pairs:
        target = dest / _safe_rel(rel)
        if target in written:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        written.add(target)
    return {"origin": origin, "files": len(written),
            "distributions": [f"{d.metadata['Name']}=={d.version}" for d in dists]}


_MIGRATING: list[Path] = []


def migrating_fixtures() -> list[Path]:
    """fixtures/*/*/before.py whose after.py exists and which the engine really migrates."""
    if _MIGRATING:
        return _MIGRATING
    from estimig.engine import migrate_source

    found = []
    for before in sorted((REPO / "fixtures").glob("*/*/before.py")):
        if not (before.parent / "after.py").exists():
            continue
        try:
            result = migrate_source(before.read_text(encoding="utf-8"), path=str(before))
        except Exception:  # the engine is changing under the benchmark; skip what it cannot do today
            continue
        if result.migrated and result.code != before.read_text(encoding="utf-8"):
            found.append(before)
    _MIGRATING.extend(found)
    return found


def build_dense_tree(dest: Path, count: int) -> dict:
    sources = migrating_fixtures()
    if not sources:
        raise SystemExit("bench: no fixture migrates (fixtures/*/*/before.py with an after.py)")
    dest.mkdir(parents=True)
    for i in range(count):
        src = sources[i % len(sources)]
        shutil.copyfile(src, dest / f"f{i:04d}_{src.parent.parent.name}_{src.parent.name}.py")
    return {"origin": f"{len(sources)} migrating fixtures, copied round-robin", "files": count,
            "scenarios": len(sources)}


# -- file counts: what each tool saw ------------------------------------------------------------
def count_estimig(root: Path) -> tuple[int, int]:
    from estimig.discovery import iter_files
    from estimig.prefilter import may_hold_estimator

    files = [f for f in iter_files([str(root)]) if f.endswith(".py")]
    parsed = sum(1 for f in files if may_hold_estimator(Path(f).read_bytes()))
    return len(files), parsed


def count_ruff(ruff: str, root: Path) -> int:
    out = subprocess.run([ruff, "check", "--select", "UP", "--no-cache", "--show-files", str(root)],
                         capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if line.strip().endswith(".py"))


def count_libcst(root: Path) -> int:
    from libcst.codemod import gather_files

    return len(gather_files([str(root)], include_stubs=False))


# -- the run ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each fast measurement (default 5)")
    parser.add_argument("--slow-reps", type=int, default=1,
                        help="repetitions of the libcst codemod runner on the large tree (default 1: it takes minutes)")
    parser.add_argument("--dense", type=int, default=300, help="files in the Estimator-dense tree (default 300)")
    parser.add_argument("--tree", help="use every .py file under this folder as the large tree instead")
    parser.add_argument("--limit", type=int, help="only the first N files of the large tree")
    parser.add_argument("--tiny", action="store_true", help="smoke run: 40-file trees, 1 repetition")
    parser.add_argument("--libcst-sample", type=int, default=10, metavar="N",
                        help="run the libcst codemod runner on every Nth file of the large tree and scale its time "
                             "by the file count (default 10: on the whole tree it takes far longer than 5 minutes); "
                             "1 = the whole tree")
    parser.add_argument("--skip-libcst-codemod", action="store_true", help="leave out the slowest measurement")
    parser.add_argument("--allow-missing", action="store_true", help="exit 0 even when a compared tool is missing")
    parser.add_argument("--json", dest="json_path", help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary trees (their path is printed)")
    args = parser.parse_args(argv)
    if args.tiny:
        args.reps, args.slow_reps, args.dense, args.limit = 1, 1, 12, args.limit or 40

    estimig = find_tool("estimig")
    ruff = find_tool("ruff")
    missing = []
    if estimig is None:
        missing.append("estimig (pip install -e .)")
    if ruff is None:
        missing.append("ruff (pip install ruff)")
    if importlib.util.find_spec("libcst") is None:
        raise SystemExit("bench: libcst is not installed (pip install -e . installs it)")
    if estimig is None:
        raise SystemExit("bench: the estimig command is not installed: pip install -e .")
    for line in missing:
        print(f"bench: MISSING {line}; its measurements are left out", file=sys.stderr)

    work = Path(tempfile.mkdtemp(prefix="estimig-bench-"))
    started = time.perf_counter()
    try:
        report = _run(args, work, estimig, ruff)
    finally:
        if args.keep:
            print(f"bench: trees kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    report["bench_seconds"] = round(time.perf_counter() - started, 1)
    report["missing"] = missing
    print(render(report))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 2 if missing and not args.allow_missing else 0


def _run(args, work: Path, estimig: str, ruff: str | None) -> dict:
    py = sys.executable
    large, dense, pre, sample = work / "large", work / "dense", work / "precommit", work / "libcst-sample"
    print("bench: building trees ...", file=sys.stderr)
    large_info = build_large_tree(large, args.tree, args.limit)
    dense_info = build_dense_tree(dense, args.dense)
    pre.mkdir()
    plain = pre / "plain.py"
    shutil.copyfile(Path(json.__file__).parent / "encoder.py", plain)  # a real module without azureml
    fixture = migrating_fixtures()[0]
    scenario = pre / "scenario"
    shutil.copytree(fixture.parent, scenario)
    (scenario / "after.py").unlink()
    with_estimator = scenario / "before.py"
    original = fixture.read_bytes()

    def restore():
        with_estimator.write_bytes(original)

    all_files = sorted(large.rglob("*.py"))
    step = max(1, args.libcst_sample)
    for path in all_files[::step]:
        target = sample / path.relative_to(large)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    libcst_tree = large if step == 1 else sample
    seen, parsed = count_estimig(large)
    counts = {"estimig": seen, "estimig_parsed": parsed, "libcst": count_libcst(libcst_tree)}
    if ruff:
        counts["ruff"] = count_ruff(ruff, large)
    jobs = os.cpu_count() or 1
    cases = [
        Case("large_estimig", f"estimig rewrite --check (-j {jobs})", [estimig, "rewrite", "--check", "-q", str(large)], (0, 1)),
        Case("large_ruff", "ruff check --select UP --no-cache", [ruff or "ruff", "check", "--select", "UP", "--no-cache", str(large)],
             (0, 1), missing=None if ruff else "ruff"),
        Case("large_libcst", "python -m libcst.tool codemod noop.NOOPCommand",
             [py, "-m", "libcst.tool", "codemod", "--no-format", "--include-generated", "--hide-progress",
              "--hide-generated-warnings", "--hide-blacklisted-warnings", "noop.NOOPCommand", str(libcst_tree)],
             missing="skipped (--skip-libcst-codemod)" if args.skip_libcst_codemod else None),
        Case("dense_estimig", f"estimig rewrite --check (-j {jobs})", [estimig, "rewrite", "--check", "-q", str(dense)], (1,)),
        Case("dense_estimig_j1", "estimig rewrite --check -j 1", [estimig, "rewrite", "--check", "-q", "-j", "1", str(dense)], (1,)),
        Case("dense_parse", "python: import libcst + parse_module each file", [py, "-c", PARSE_SCRIPT, str(dense)]),
        Case("pre_plain", "estimig rewrite FILE (no azureml)", [estimig, "rewrite", str(plain)]),
        Case("pre_click", 'python -c "import click"', [py, "-c", "import click"]),
        Case("pre_estimator", "estimig rewrite FILE (one Estimator)", [estimig, "rewrite", str(with_estimator)], (1,), setup=restore),
        Case("pre_libcst", 'python -c "import libcst"', [py, "-c", "import libcst"]),
        Case("pre_libcst_parse", "python: import libcst + parse FILE", [py, "-c", PARSE_ONE, str(with_estimator)]),
    ]
    active = [c for c in cases if c.missing is None]
    slow = {"large_libcst"}
    total_reps = max(args.reps, args.slow_reps)
    print(f"bench: {large_info['files']} + {dense_info['files']} files; warming up, then {args.reps} repetitions",
          file=sys.stderr)
    for rep in range(-1, total_reps):  # rep -1 is an untimed warm-up (page cache, .pyc files)
        for case in active:
            if case.key in slow and (rep == -1 or rep >= args.slow_reps):
                continue
            if case.key not in slow and rep >= args.reps:
                continue
            if case.setup:
                case.setup()
            elapsed, rss, code = run_once(case.argv, cwd=str(work))
            if code not in case.ok_codes:
                raise SystemExit(f"bench: {' '.join(case.argv)} exited {code}, expected {case.ok_codes}:\n"
                                 f"{run_once.last_stderr[-2000:]}")
            if rep >= 0:
                case.times.append(elapsed)
                case.rss_kb.append(rss)
        print(f"bench: repetition {rep + 1}/{total_reps} done" if rep >= 0 else "bench: warm-up done", file=sys.stderr)
    restore()
    by = {c.key: c for c in cases}
    libcst_case = by["large_libcst"]
    scale = len(all_files) / counts["libcst"] if counts["libcst"] else 1.0
    if step > 1 and libcst_case.times:
        libcst_case.label += f" (on every {step}th file: {counts['libcst']} files; time scaled x{scale:.2f})"
        libcst_case.times = [t * scale for t in libcst_case.times]
    return {
        "machine": machine(), "versions": versions(ruff), "jobs": jobs, "reps": args.reps,
        "slow_reps": args.slow_reps, "large_tree": large_info, "dense_tree": dense_info, "counts": counts,
        "precommit_files": {"plain": f"json/encoder.py of the standard library ({plain.stat().st_size} bytes)",
                            "estimator": f"fixtures/{fixture.parent.parent.name}/{fixture.parent.name}/before.py"},
        "cases": {c.key: {"label": c.label, "command": _shown(c.argv, work), "median_s": c.median,
                          "times_s": [round(t, 4) for t in c.times], "peak_mb": c.peak_mb, "missing": c.missing}
                  for c in cases},
        "targets": targets(by),
    }


def _shown(argv: list[str], work: Path) -> str:
    parts = []
    for a in argv:
        a = a.replace(str(work), "$TREES").replace(sys.executable, "python")
        a = a.replace(str(BIN) + os.sep, "")
        parts.append(a if "\n" not in a else "<script>")
    return " ".join(parts)


def _ratio(a: Case, b: Case) -> float | None:
    return a.median / b.median if a.median and b.median else None


def targets(by: dict[str, Case]) -> list[dict]:
    def row(name, value, limit, kind="ratio<=") -> dict:
        met = None if value is None else (value <= limit if kind == "ratio<=" else value >= limit)
        return {"target": name, "value": None if value is None else round(value, 3),
                "limit": limit, "met": met}

    vs_libcst = _ratio(by["large_libcst"], by["large_estimig"])
    scaling = _ratio(by["dense_estimig_j1"], by["dense_estimig"])
    peak = by["large_estimig"].peak_mb
    return [
        row("large tree: estimig --check / ruff check --select UP", _ratio(by["large_estimig"], by["large_ruff"]), 1.0),
        row("large tree: libcst codemod / estimig --check (speed-up)", vs_libcst, 50.0, "ratio>="),
        row("dense tree: estimig / bare libcst parse", _ratio(by["dense_estimig"], by["dense_parse"]), 2.5),
        row("dense tree: -j 1 / -j all (scaling)", scaling, 1.5, "ratio>="),
        row("pre-commit, no azureml: estimig / python -c 'import click'", _ratio(by["pre_plain"], by["pre_click"]), 1.5),
        row("pre-commit, Estimator: estimig / (import libcst + parse)", _ratio(by["pre_estimator"], by["pre_libcst_parse"]), 2.0),
        row("large tree: estimig peak memory (MB)", peak, 250.0),
    ]


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    mem = None
    try:
        mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem, "platform": platform.platform(),
            "load_average_at_end": load}


def versions(ruff: str | None) -> dict:
    found = {"python": platform.python_version()}
    for name in ("estimig", "libcst", "click", "azureml-core", "azureml-train-core"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    if ruff:
        found["ruff"] = subprocess.run([ruff, "--version"], capture_output=True, text=True).stdout.split()[-1]
    return found


def render(report: dict) -> str:
    lines = ["", "## estimig benchmark", ""]
    m, v = report["machine"], report["versions"]
    lines.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['platform']}; "
                 f"load average at the end {m['load_average_at_end']}")
    lines.append("Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()))
    c = report["counts"]
    lines.append(f"Large tree: {report['large_tree']['files']} files ({report['large_tree']['origin']}); files seen: "
                 f"estimig {c['estimig']} (parsed {c['estimig_parsed']}), ruff {c.get('ruff', 'missing')}, "
                 f"libcst codemod {c['libcst']}")
    lines.append(f"Estimator-dense tree: {report['dense_tree']['files']} files ({report['dense_tree']['origin']})")
    lines.append(f"Pre-commit files: {report['precommit_files']['plain']}; {report['precommit_files']['estimator']}")
    lines.append(f"Medians of {report['reps']} runs ({report['slow_reps']} for the libcst codemod runner), "
                 f"whole processes; peak = largest resident set of the process or a child; "
                 f"benchmark took {report.get('bench_seconds', '?')} s")
    lines += ["", "| measurement | command | median (s) | peak (MB) |", "|---|---|---:|---:|"]
    for key, case in report["cases"].items():
        if case["missing"]:
            lines.append(f"| {key} | {case['label']} | {case['missing']} | |")
        else:
            lines.append(f"| {key}: {case['label']} | `{case['command']}` | {case['median_s']:.3f} | {case['peak_mb']:.0f} |")
    lines += ["", "| target | value | limit | met |", "|---|---:|---:|---|"]
    for t in report["targets"]:
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        value = "n/a" if t["value"] is None else f"{t['value']:.3g}"
        sign = ">=" if "speed-up" in t["target"] or "scaling" in t["target"] else "<="
        lines.append(f"| {t['target']} | {value} | {sign} {t['limit']:g} | {met} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
