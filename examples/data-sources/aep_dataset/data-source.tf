# A dataset made elsewhere, found by its name: a target connection can write to it without this
# configuration managing (or ever deleting) it.
data "aep_dataset" "crm" {
  name = "Acme CRM Profiles (dev)"
}

output "crm_dataset_id" {
  value = data.aep_dataset.crm.id
}
