# Import an existing S3 base connection by its Flow Service connection id. The configuration must
# already declare the resource with its write-only credentials and their versions (see resource.tf).
terraform import aep_s3_base_connection.example 4cb0c374-d3bb-4557-b139-5712880adc55
