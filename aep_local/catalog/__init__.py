"""Catalog: datasets (keyed by id, semantic versions, optional `If-Match`) and the batches runs
write into them (`routes` in front of the model)."""
