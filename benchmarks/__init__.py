"""How fast deploys are, always beside their floor: `python -m benchmarks` (`make bench`).

Every figure is measured next to the same API calls made directly by our own client in the same
run (the floor), and reported as a ratio, so a slower machine or a busy run shifts both. Output:
`BENCHMARKS.md` (tables), `benchmarks/results/bench.json` (raw figures), `bench.png` (time
against N per tool). `--quick` runs inside `make test` so the harness never rots; the full run does not.

Modules, one job each: `environment` (settings of the fleet app, the emulator and the S3 state),
`step` (one timed step, and what every tool's runner shares), `serverlog` (calls per kind and
concurrency from the emulator's request log), `providerstats` (the provider's own CPU, per RPC
kind too, and memory), `toolchain_steps` (the sharded fleet through `make deploy`'s runners, and
plain terraform), `offline` (terraform_data in one state and in k, and the trivial provider of
`trivial_provider`), `statebucket` (a local S3 server for the S3 state backend), `floor` (the same
calls, directly), `startup` (provider start-up against `import grpc`), `synthesis`, `frameworks`
(CDKTF beside CDK Terrain), `scale` (the runs of one N), `figures` (rows, ratios, bounds, shares,
targets), `report` and `plot` (output).
"""
