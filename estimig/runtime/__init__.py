"""The runtime shim: run Azure ML SDK v1 jobs on this machine and compare what they did.

`estimig run submit.py` executes a user's submit script with the real SDK, the service boundary
replaced (see `estimig.offline`), and runs every submitted job locally as Azure ML would.
`estimig verify OLD NEW` runs both versions and compares their traces.

Modules, one concern each: `errors` (exit codes), `config` (estimig.yaml / [tool.estimig]),
`spec` (RunConfiguration -> JobSpec), `data` (datasets and DataReferences -> local paths),
`distribution` (processes, ranks, launcher env), `context` (the in-job shim: Run.get_context and
the trace recorder), `backends/local`, `backends/docker`, `runner` (submit script -> traces),
`trace` (normalization), `compare` (trace diff), `report` (text/json), `commands` (click).
"""
