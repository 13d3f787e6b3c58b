"""Facts shared by every part of the project, in one leaf that imports nothing of ours.

* :mod:`aep_spec.identity`: the provider's registry address, version and resource type;
* :mod:`aep_spec.s3`: Adobe's Amazon S3 connection spec (id, auth specs, parameters,
  the JSON Schemas and patterns of its parameters);
* :mod:`aep_spec.rules`: those rules as checks with messages that name the field;
* :mod:`aep_spec.contract`: the contract of the Flow Service responses we rely on.

The construct (synth), the provider (plan), the client and the local AEP all read the
same facts from here, so what one accepts the others accept. Standard library only: the provider
imports it on its start-up path.
"""
