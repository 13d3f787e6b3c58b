# A mapping set made elsewhere, found by its name, at its latest version: what a dataflow's
# mapping_id and mapping_version name to use it as it is now.
data "aep_mapping_set" "orders_csv" {
  name = "Acme orders CSV to XDM"
}

output "orders_mapping" {
  value = {
    id      = data.aep_mapping_set.orders_csv.id
    version = data.aep_mapping_set.orders_csv.version
  }
}
