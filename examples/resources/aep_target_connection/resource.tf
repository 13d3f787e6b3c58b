# Where the dataflow writes: a Catalog dataset in the Data Lake, and the XDM schema it is based on.
resource "aep_target_connection" "orders" {
  name        = "Orders dataset"
  description = "Data Lake target of the orders dataflow"

  dataset_id = "64d0a1b2c3d4e5f6a7b8c9d0"
  schema_id  = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"
}
