# Import an existing dataflow by its Flow Service id. Declare it first with the same source and
# target connections; set start_time and backfill only if you want to pin the flow's own values.
terraform import aep_dataflow.orders 3a8f5e21-6c4b-4d9a-b7e0-1f2d3c4b5a69
