# Import an existing tenant schema by its $id; its fields are read from its tenant field group.
terraform import aep_xdm_schema.orders https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1
