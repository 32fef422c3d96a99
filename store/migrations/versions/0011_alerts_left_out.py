"""Alert states remember how many alerts their sender left out of the group.

`alert_states.left_out`: the `truncatedAlerts` still missing (not fetched from Alertmanager's
API) of the payload that last reported the alert; notices say some alerts were not included.

Revision ID: 0011
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_states") as batch:
        batch.add_column(sa.Column("left_out", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("alert_states") as batch:
        batch.drop_column("left_out")
