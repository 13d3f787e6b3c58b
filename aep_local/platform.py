"""The services wired together: the Schema Registry, Catalog (which tells the registry who uses a
schema) and Data Prep over one store and the seed, and Flow Service over all three through its
`References`. `__main__` builds one `Platform`; tests of the parts can build their own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .catalog.model import Catalog, Landing, seeded_dataset
from .catalog.routes import catalog_service
from .core.app import LocalTool
from .core.gateway import Caller
from .core.http import Request, Response
from .core.routing import Service
from .core.store import Store, Tx
from .dataprep.mapper import Mapper
from .dataprep.model import DataPrep, seeded_set
from .dataprep.routes import data_prep
from .flowservice.connectivity import Connectivity
from .flowservice.model import FlowModel
from .flowservice.routes import flow_service
from .schemaregistry.model import MIXINS, SCHEMAS, SchemaRegistry, seeded_resource
from .schemaregistry.routes import schema_registry
from .seed import Seed

DEFAULT_TENANT = "acme"
FORMATS = {"delimited": "csv", "json": "json", "parquet": "parquet"}   # a source's format -> a batch's


class Platform:
    def __init__(self, store: Store, seed: Seed, tenant: str = DEFAULT_TENANT, page_size: int = 100,
                 schedule_clock: Callable[[], float] | None = None) -> None:
        self.registry = SchemaRegistry(store, tenant, {
            SCHEMAS: seed.seeded("schemas", lambda sandbox, e: seeded_resource(e, SCHEMAS, tenant)),
            MIXINS: seed.seeded("fieldGroups", lambda sandbox, e: seeded_resource(e, MIXINS, tenant)),
        })
        self.catalog = Catalog(store, self.registry, seed.seeded("datasets", lambda sandbox, e: seeded_dataset(e)))
        self.dataprep = DataPrep(store, self.registry, seed.seeded("mappingSets", lambda sandbox, e: seeded_set(e)))
        self.flows = FlowModel(store, self, page_size=page_size, schedule_clock=schedule_clock)

    def services(self, connectivity: Connectivity) -> list[Service]:
        return [flow_service(self.flows, connectivity), schema_registry(self.registry),
                catalog_service(self.catalog), data_prep(self.dataprep)]

    def datasets_tool(self) -> LocalTool:
        """`GET /__local/datasets/<id>?org=<org>&sandbox=<name>`: the batches landed in a dataset,
        how many records they hold, and the records kept (see `Catalog.landed`)."""
        def tool(req: Request, name: str) -> Response | None:
            dataset_id = name.partition("/")[2]
            if req.method != "GET" or not dataset_id:
                return None
            caller = Caller("local", req.param("org") or "", req.param("sandbox") or "prod")
            return Response(200, self.catalog.landed(caller, dataset_id))
        return tool

    # --- Flow Service's references (flowservice.references.References) ---------------------

    def dataset(self, tx: Tx, caller: Caller, dataset_id: str) -> Mapping[str, Any] | None:
        return self.catalog.dataset(tx, caller, dataset_id)

    def schema(self, tx: Tx, caller: Caller, schema_id: str) -> Mapping[str, Any] | None:
        return self.registry.schema(tx, caller, schema_id)

    def mapping_set(self, tx: Tx, caller: Caller, set_id: str, version: int) -> Mapping[str, Any] | None:
        return self.dataprep.version(tx, caller, set_id, version)

    def mapping_versions(self, tx: Tx, caller: Caller, set_id: str) -> list[int]:
        return self.dataprep.versions(tx, caller, set_id)

    def mapper(self, tx: Tx, caller: Caller, set_id: str, version: int) -> Mapper | None:
        return self.dataprep.mapper(tx, caller, set_id, version)

    def land(self, tx: Tx, caller: Caller, dataset_id: str, run: Mapping[str, Any],
             records: list[dict[str, Any]], data_format: str) -> str | None:
        metrics = run["metrics"]
        counts = {**metrics["recordSummary"], **metrics["fileSummary"],
                  "inputByteSize": metrics["sizeSummary"]["inputBytes"],
                  "outputByteSize": metrics["sizeSummary"]["outputBytes"]}
        duration = metrics["durationSummary"]
        landing = Landing(dataset_id=dataset_id, run_id=run["id"], flow_id=run["flowId"], records=records,
                          metrics=counts, errors=list(metrics["statusSummary"]["errors"]),
                          data_format=FORMATS.get(data_format, data_format))
        return self.catalog.land(tx, caller, landing, duration["startedAtUTC"] / 1000,
                                 duration["completedAtUTC"] / 1000)
