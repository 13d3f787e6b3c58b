"""The Schema Registry: tenant field groups and schemas, the global classes and field groups the
local AEP serves, `/stats` (`routes` in front of the model)."""
