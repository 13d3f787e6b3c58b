"""How fast deploys are, always beside their floor: `python -m benchmarks` (`make bench`).

Every figure is measured next to the same API calls made directly by our own client in the same
run (the floor), and reported as a ratio, so a slower machine or a busy run shifts both. Output:
`BENCHMARKS.md` (tables), `benchmarks/results/bench.json` (raw figures), `bench.png` (time
against N). `--quick` runs inside `make test` so the harness never rots; the full run does not.

Modules, one job each: `environment` (settings of the fleet app and the emulator),
`serverlog` (calls per kind and concurrency from the emulator's request log), `providerstats`
(the provider's own CPU and memory figures), `toolchain_steps` (cdktf and plain terraform,
timed), `floor` (the same calls, directly), `startup` (provider start-up against `import grpc`),
`scale` (one N and latency), `figures` (rows, ratios, targets), `report` and `plot` (output).
"""
