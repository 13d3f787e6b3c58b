# Import an existing dataset by its Catalog id (24 hexadecimal characters).
terraform import aep_dataset.orders 64d0a1b2c3d4e5f6a7b8c9d0
