# Nothing secret is written here: the provider reads its credentials from the environment
# (AEP_CLIENT_ID, AEP_CLIENT_SECRET, AEP_ORG_ID) and its endpoints from AEP_FLOW_SERVICE_URL
# and AEP_IMS_URL, which default to Adobe's production endpoints. Point those two at the local
# AEP (http://127.0.0.1:8750/data/foundation/flowservice and http://127.0.0.1:8750) to work
# offline.
provider "aep" {
  request_timeout   = 30
  operation_timeout = 300
  max_retries       = 5
  # Where this state records the objects it creates: keep it beside the state (with an S3
  # backend: "s3://BUCKET/KEY.owned?region=REGION"), so an interrupted create is adopted from any
  # checkout and no other state's object ever is. The default is .aep-ownership in this folder.
  # ownership_journal = ".aep-ownership"
}
