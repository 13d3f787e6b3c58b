"""Local emulator of Adobe Experience Platform's Flow Service (base connections) and IMS.

It speaks only HTTP, with Adobe's paths, so clients need nothing but a different host. Of the
rest of the project it reads only the shared facts (`aep_spec`) and the process check
of `aep_iac.processes` (its parent watchdog).
"""
