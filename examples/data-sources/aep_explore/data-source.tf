# What the S3 base connection of resource.tf sees in the orders folder: read on every plan (or at
# apply, while the connection does not exist yet), one GET /connections/{id}/explore.
data "aep_explore" "orders" {
  connection_id = aep_s3_base_connection.example.id
  path          = "/acme-orders-dev/exports/orders"
}

output "order_files" {
  value = data.aep_explore.orders.files
}
