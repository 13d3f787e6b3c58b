# The dataflow's last five runs, newest first (one GET /runs per read): did the last files reach
# the dataset, and how many records were written or failed?
data "flowservice_dataflow_runs" "orders" {
  flow_id = flowservice_dataflow.orders.id
  limit   = 5
}

output "last_run_status" {
  value = data.flowservice_dataflow_runs.orders.last_status
}

output "recent_runs" {
  value = [for run in data.flowservice_dataflow_runs.orders.runs : {
    id      = run.id
    status  = run.status
    written = run.records_written
    failed  = run.records_failed
  }]
}
