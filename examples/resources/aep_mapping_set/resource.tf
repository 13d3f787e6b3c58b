# Each column of the orders files to its field of the schema. A change writes the next version,
# and a dataflow whose mapping_version refers to it moves to it in the same apply.
resource "aep_mapping_set" "orders" {
  name      = "Orders columns"
  schema_id = aep_xdm_schema.orders.id
  mappings = [
    { source = "order_id", destination = aep_xdm_schema.orders.paths["orderId"], source_type = "ATTRIBUTE" },
    { source = "customer_id", destination = aep_xdm_schema.orders.paths["customerId"], source_type = "ATTRIBUTE" },
    { source = "amount", destination = aep_xdm_schema.orders.paths["amount"], source_type = "ATTRIBUTE" },
  ]
}
