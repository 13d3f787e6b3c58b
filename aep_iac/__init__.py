"""Drives the outside tools the project stands on: Terraform and the CDKTF CLI.

* :mod:`aep_iac.mirror`: installs the provider into a project-local mirror for this platform;
* :mod:`aep_iac.lock`: writes a stack's provider lock file from that mirror (offline);
* :mod:`aep_iac.project`: throw-away CDKTF projects for the tests and the benchmarks.
"""
