# The dataflow: every 15 minutes, the new files of the source connection, mapped to the dataset's
# XDM schema by a Data Prep mapping set (delimited data needs one), into the target's dataset.
resource "aep_dataflow" "orders" {
  name        = "Orders to AEP"
  description = "Order exports into the orders dataset every 15 minutes"

  source_connection_id = aep_source_connection.orders.id
  target_connection_id = aep_target_connection.orders.id

  mapping_id      = "0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e"
  mapping_version = 0

  frequency = "minute"
  interval  = 15

  # false pauses the flow (POST /flows/{id}/action?op=disable); true resumes it.
  enabled = true
}

output "dataflow_id" {
  value = aep_dataflow.orders.id
}
