# A schema the team made in the UI, found by its title: its fields' paths are what a mapping set's
# destinations name (one listing of the tenant's schemas, one GET of this one).
data "aep_xdm_schema" "crm" {
  name = "Acme CRM Profiles"
}

output "crm_schema_paths" {
  value = data.aep_xdm_schema.crm.paths
}
