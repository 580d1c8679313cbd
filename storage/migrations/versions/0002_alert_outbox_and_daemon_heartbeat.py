"""Alert outbox and daemon heartbeat.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:41:17.021391

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "heartbeat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heartbeat")),
        sa.UniqueConstraint("name", name=op.f("uq_heartbeat_name")),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_alert_article_id_article")
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["revision.id"], name=op.f("fk_alert_revision_id_revision")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_alert_idempotency_key")),
        sa.UniqueConstraint("revision_id", "channel", name=op.f("uq_alert_revision_id")),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_revision_id"), ["revision_id"], unique=False)
        batch_op.create_index("ix_alert_state_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_state_due")
        batch_op.drop_index(batch_op.f("ix_alert_revision_id"))
        batch_op.drop_index(batch_op.f("ix_alert_article_id"))

    op.drop_table("alert")
    op.drop_table("heartbeat")
