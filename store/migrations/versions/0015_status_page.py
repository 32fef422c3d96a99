"""Components may name a vendor's public status page (`components.status_page`, a URL).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("components") as batch:
        batch.add_column(sa.Column("status_page", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("components") as batch:
        batch.drop_column("status_page")
