"""The stored `policies:` section: one row of `map_policies` (migration 0012)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from impact.policies import Policies
from store.map_policies import dump_policies, parse_policies
from store.schema import MapPoliciesRow

ROW = 1


def read_policies(connection: Connection) -> Policies | None:
    """The stored section, None when the map has none (or it no longer reads)."""
    document = connection.scalar(
        select(MapPoliciesRow.c.document).where(MapPoliciesRow.c.id == ROW)
    )
    if document is None:
        return None
    return parse_policies(document)[0]


def write_policies(connection: Connection, policies: Policies | None) -> bool:
    """Store `policies` (None: remove the section); True when that changed anything."""
    if read_policies(connection) == policies:
        return False
    if policies is None:
        connection.execute(delete(MapPoliciesRow))
        return True
    document = dump_policies(policies)
    document = {**document, "burn": {str(k): v for k, v in document["burn"].items()}}
    done = connection.execute(
        update(MapPoliciesRow).where(MapPoliciesRow.c.id == ROW).values(document=document)
    )
    if not done.rowcount:
        connection.execute(insert(MapPoliciesRow).values(id=ROW, document=document))
    return True
