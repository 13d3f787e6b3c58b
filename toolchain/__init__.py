"""Drives the outside tools the project stands on: Terraform and the CDKTF CLI.

* :mod:`toolchain.mirror`: installs the provider into a project-local mirror for this platform;
* :mod:`toolchain.lock`: writes a stack's provider lock file from that mirror (offline);
* :mod:`toolchain.project`: throw-away CDKTF projects for the tests and the benchmarks.
"""
