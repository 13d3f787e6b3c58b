# Import an existing target connection by its Flow Service id. Declare it first with the same
# dataset and schema: a difference in either plans a replacement.
terraform import aep_target_connection.orders 7c4e2a90-5b1d-4f3e-8a6c-9d0e1f2a3b4c
