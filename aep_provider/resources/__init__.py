"""One handler per resource type; each knows the Flow Service API and nothing of gRPC."""
