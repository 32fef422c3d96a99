"""Conversation contexts: the last answer of each thread or DM, for follow-ups on any replica.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_contexts",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=False),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_conversation_contexts")),
    )
    op.create_index(
        op.f("ix_conversation_contexts_updated_at"), "conversation_contexts", ["updated_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_conversation_contexts_updated_at"), table_name="conversation_contexts")
    op.drop_table("conversation_contexts")
