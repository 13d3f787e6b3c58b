"""The global container the local AEP serves: a few of Adobe's classes and field groups (a small
subset, enough for profile, event and CSV-record schemas), and a record class of its own."""

from __future__ import annotations

import copy
from typing import Any

from aep_spec import xdm


def _string(title: str, fmt: str | None = None) -> dict[str, Any]:
    field: dict[str, Any] = {"title": title, "type": "string"}
    if fmt:
        field["format"] = fmt
    return field


def _object(title: str, **properties: dict[str, Any]) -> dict[str, Any]:
    return {"title": title, "type": "object", "properties": properties}


def _resource(resource_id: str, kind: str, title: str, description: str, **members: Any) -> dict[str, Any]:
    return {"$id": resource_id, "meta:altId": "_" + resource_id.removeprefix("https://ns.adobe.com/").replace("/", "."),
            "meta:resourceType": kind, "version": "1.0", "title": title, "description": description,
            "type": "object", "meta:containerId": "global", "meta:xdmType": "object", **members}


CLASSES: dict[str, dict[str, Any]] = {c["$id"]: c for c in (
    _resource(xdm.PROFILE_CLASS, "classes", "XDM Individual Profile",
              "A single representation of the attributes and interests of a person.",
              **{"meta:extends": [xdm.RECORD_BEHAVIOUR, xdm.AUDITABLE], "meta:abstract": True,
                 "properties": {"_id": _string("Identifier")}}),
    _resource(xdm.EXPERIENCE_EVENT_CLASS, "classes", "XDM ExperienceEvent",
              "A time-series record of an event: what happened, when, to whom.",
              **{"meta:extends": [xdm.TIME_SERIES_BEHAVIOUR, xdm.AUDITABLE], "meta:abstract": True,
                 "properties": {"_id": _string("Identifier"), "timestamp": _string("Timestamp", "date-time"),
                                "eventType": _string("Event Type")}}),
    _resource(xdm.RECORD_CLASS, "classes", "Local Record",
              "The local AEP's plain record class for rows of a file: no standard field but an identifier.",
              **{"meta:extends": [xdm.RECORD_BEHAVIOUR, xdm.AUDITABLE], "meta:abstract": True,
                 "properties": {"_id": _string("Identifier")}}),
)}

FIELD_GROUPS: dict[str, dict[str, Any]] = {g["$id"]: g for g in (
    _resource("https://ns.adobe.com/xdm/context/experienceevent-commerce", "mixins", "Commerce Details",
              "Orders, their totals and currency.",
              **{"meta:intendedToExtend": [xdm.EXPERIENCE_EVENT_CLASS], "meta:abstract": True,
                 "properties": {"commerce": _object("Commerce", order=_object(
                     "Order", purchaseID=_string("Purchase ID"),
                     priceTotal={"title": "Price Total", "type": "number"},
                     currencyCode=_string("Currency Code")))}}),
    _resource("https://ns.adobe.com/xdm/context/profile-person-details", "mixins", "Demographic Details",
              "A person's name and birth date.",
              **{"meta:intendedToExtend": [xdm.PROFILE_CLASS], "meta:abstract": True,
                 "properties": {"person": _object("Person", name=_object(
                     "Full name", firstName=_string("First name"), lastName=_string("Last name")),
                     birthDate=_string("Birth date", "date"))}}),
    _resource("https://ns.adobe.com/xdm/context/profile-personal-details", "mixins", "Personal Contact Details",
              "A person's e-mail address and mobile phone.",
              **{"meta:intendedToExtend": [xdm.PROFILE_CLASS], "meta:abstract": True,
                 "properties": {"personalEmail": _object("Personal Email", address=_string("Address", "email")),
                                "mobilePhone": _object("Mobile Phone", number=_string("Number"))}}),
)}


def global_resource(kind: str, resource_id: str) -> dict[str, Any] | None:
    """A class (`classes`) or field group (`mixins`) of the global container, by `$id` or `meta:altId`."""
    documents = CLASSES if kind == "classes" else FIELD_GROUPS
    for document in documents.values():
        if resource_id in (document["$id"], document["meta:altId"]):
            return copy.deepcopy(document)
    return None
