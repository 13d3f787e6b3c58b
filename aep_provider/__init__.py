"""A Terraform provider, written in Python, for Adobe Experience Platform Flow Service connections."""
