"""estimig as a LibCST codemod command, for people who already drive LibCST.

    python -m libcst.tool codemod -x estimig.libcst_command.EstimigCommand path/

or, with `modules: [libcst.codemod.commands, estimig]` in `.libcst.codemod.yaml`:

    python -m libcst.tool codemod libcst_command.EstimigCommand path/

It runs the same engine as `estimig rewrite` (same concerns, same all-or-nothing rule, same
`# estimig:` comments); findings become LibCST warnings. It can also be used from Python like any
other codemod: `EstimigCommand(CodemodContext(filename="train.py")).transform_module(module)`.
"""

from __future__ import annotations

import argparse
from typing import Sequence

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from estimig.engine import migrate_source
from estimig.options import ENVIRONMENT_MODES, Options
from estimig.prefilter import mentions_azureml
from estimig.result import Severity


class EstimigCommand(CodemodCommand):
    DESCRIPTION: str = "Migrate Azure ML SDK v1 Estimators to ScriptRunConfig (estimig)."

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--only", dest="only", action="append", default=None, metavar="CONCERN",
                                help="Enable only these concerns (repeatable, or comma-separated).")
        arg_parser.add_argument("--skip", dest="skip", action="append", default=None, metavar="CONCERN",
                                help="Disable these concerns (repeatable, or comma-separated).")
        # conda-file is left out: a LibCST codemod returns the module and cannot write the conda file beside it.
        arg_parser.add_argument("--environment", dest="environment", default="explicit",
                                choices=[m for m in ENVIRONMENT_MODES if m != "conda-file"],
                                help="explicit (default), cached-image or curated; see `estimig rewrite --help`.")

    def __init__(self, context: CodemodContext, only: Sequence[str] | None = None,
                 skip: Sequence[str] | None = None, environment: str = "explicit") -> None:
        super().__init__(context)
        self.options = Options.create(only=_split(only), skip=_split(skip), environment=environment)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        code = tree.code
        if not mentions_azureml(code):
            raise SkipFile("does not mention azureml")
        result = migrate_source(code, path=self.context.filename or "<string>", options=self.options)
        for finding in result.findings:
            self.warn(f"line {finding.line}: {finding.severity.value}: {finding.code} {finding.concern}: {finding.message}")
        if any(f.severity is Severity.ERROR for f in result.findings):
            # The engine left the code as it was; say so instead of reporting a silent success.
            raise SkipFile(next(f.message for f in result.findings if f.severity is Severity.ERROR))
        if result.code == code:
            return tree
        # Keep the file's encoding, newline and indentation exactly as LibCST read them.
        return cst.parse_module(result.code, config=tree.config_for_parsing)


def _split(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())
