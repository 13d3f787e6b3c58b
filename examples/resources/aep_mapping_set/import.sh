# Import an existing mapping set by its Data Prep id (32 hexadecimal characters).
terraform import aep_mapping_set.orders 0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e
