# Import an existing source connection by its Flow Service id. Declare it first with the same base
# connection, path and format: a difference in any of them plans a replacement.
terraform import aep_source_connection.orders 2f9d6c1e-8a3b-4c5d-9e7f-0a1b2c3d4e5f
