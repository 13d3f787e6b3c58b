# The target schema of the orders files: one field per column, under the tenant's object.
resource "aep_xdm_schema" "orders" {
  name        = "Orders (S3)"
  description = "Daily order exports"
  fields = {
    orderId    = "string"
    customerId = "string"
    amount     = "number"
    orderedAt  = "date-time"
  }
}
