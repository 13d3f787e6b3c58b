"""What every emulated service shares: the HTTP transport and routing, the gateway and IMS, the
store, the refusals, the request log, latency and faults."""
