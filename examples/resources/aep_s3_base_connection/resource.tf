terraform {
  required_version = ">= 1.11" # write-only attributes

  required_providers {
    aep = {
      source  = "terraform.local/aep/aep"
      version = "0.2.0"
    }
  }
}

# Credentials are ephemeral: Terraform passes them to the provider at apply and records them
# nowhere (not in the plan, not in state). Feed them with TF_VAR_s3_access_key, ...
variable "s3_access_key" {
  description = "AWS access key id for the S3 connection"
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "s3_secret_key" {
  description = "AWS secret access key for the S3 connection"
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "s3_session_token" {
  description = "Temporary AWS session token; bump session_token_version when you set a new one"
  type        = string
  sensitive   = true
  ephemeral   = true
}

# Versions are plain values kept in state: changing one is what sends the matching credential.
variable "access_key_version" {
  description = "Change it to send a new access key and secret key (one PATCH)"
  type        = string
  default     = "1"
}

variable "session_token_version" {
  description = "Change it to send a new session token (one PATCH)"
  type        = string
  default     = "1"
}

resource "aep_s3_base_connection" "example" {
  name        = "Amazon S3 base connection"
  description = "Amazon S3 base connection with temporary session token"

  access_key_wo            = var.s3_access_key
  access_key_wo_version    = var.access_key_version
  secret_key_wo            = var.s3_secret_key
  secret_key_wo_version    = var.access_key_version
  session_token_wo         = var.s3_session_token
  session_token_wo_version = var.session_token_version
}

output "connection_id" {
  value = aep_s3_base_connection.example.id
}

output "connection_etag" {
  value = aep_s3_base_connection.example.etag
}
