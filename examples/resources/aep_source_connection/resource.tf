# Which files of the S3 base connection a dataflow ingests, and how to parse them: the comma-
# separated order exports of the folder the explore data source lists.
resource "aep_source_connection" "orders" {
  name               = "Orders exports (CSV)"
  description        = "Order exports of the shop, comma-separated"
  base_connection_id = aep_s3_base_connection.example.id

  path             = "/acme-orders-dev/exports/orders"
  path_type        = "folder"
  format           = "delimited"
  column_delimiter = ","
  encoding         = "UTF-8"

  lifecycle {
    precondition {
      condition     = length(data.aep_explore.orders.files) > 0
      error_message = "The orders folder holds no files: check the bucket and the path."
    }
  }
}
