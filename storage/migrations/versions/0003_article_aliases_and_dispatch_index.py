"""Article aliases and the dispatch index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:42:57.913197

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "article_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_article_alias_article_id_article")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_alias")),
        sa.UniqueConstraint("url", name=op.f("uq_article_alias_url")),
    )
    with op.batch_alter_table("article_alias", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_alias_article_id"), ["article_id"], unique=False
        )

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_next_check_at"))
        batch_op.create_index("ix_article_active_due", ["active", "next_check_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_active_due")
        batch_op.create_index(
            batch_op.f("ix_article_next_check_at"), ["next_check_at"], unique=False
        )

    with op.batch_alter_table("article_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_alias_article_id"))

    op.drop_table("article_alias")
