# Where the orders land: a dataset on the orders schema. Deletion protection (the default) refuses
# any plan that would delete or replace it while it holds records.
resource "aep_dataset" "orders" {
  name      = "Orders"
  schema_id = aep_xdm_schema.orders.id
}
