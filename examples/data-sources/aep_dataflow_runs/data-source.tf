# The dataflow's last five runs, newest first (one GET /runs per read): did the last files reach
# the dataset, and how many records were written or failed?
data "aep_dataflow_runs" "orders" {
  flow_id = aep_dataflow.orders.id
  limit   = 5
}

output "last_run_status" {
  value = data.aep_dataflow_runs.orders.last_status
}

output "recent_runs" {
  value = [for run in data.aep_dataflow_runs.orders.runs : {
    id      = run.id
    status  = run.status
    written = run.records_written
    failed  = run.records_failed
  }]
}
