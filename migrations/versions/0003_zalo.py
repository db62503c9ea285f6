"""Zalo channels: OA tokens, messaging window, held notifications, webhook events, numbered choices.

Tables of bot/channels/zalo_models.py. Times are plain DATETIME/TIMESTAMP holding
UTC (bot.models.UTCDateTime), enums VARCHAR, as in 0001.

Revision ID: 0003_zalo
Revises: 0002_scheduler
Create Date: 2026-11-27
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_zalo"
down_revision: str | None = "0002_scheduler"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "zalo_oa_tokens",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(), nullable=False),
        sa.Column("refreshing_until", sa.DateTime(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_zalo_oa_tokens")),
    )
    op.create_table(
        "zalo_oa_users",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(), nullable=True),
        sa.Column("sent_in_window", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_zalo_oa_users")),
    )
    op.create_table(
        "zalo_held_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Enum("held", "released", name="heldstatus", native_enum=False, length=32),
                  nullable=False),
        sa.Column("held_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zalo_held_messages")),
    )
    op.create_index(op.f("ix_zalo_held_messages_user_id"), "zalo_held_messages", ["user_id"], unique=False)
    op.create_table(
        "zalo_oa_events",
        sa.Column("delivery_id", sa.String(length=96), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_zalo_oa_events")),
    )
    op.create_index(op.f("ix_zalo_oa_events_processed_at"), "zalo_oa_events", ["processed_at"], unique=False)
    op.create_table(
        "zalo_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("callback_data", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zalo_choices")),
        sa.UniqueConstraint("channel", "chat_id", "number", name=op.f("uq_zalo_choices_channel")),
    )


def downgrade() -> None:
    op.drop_table("zalo_choices")
    op.drop_index(op.f("ix_zalo_oa_events_processed_at"), table_name="zalo_oa_events")
    op.drop_table("zalo_oa_events")
    op.drop_index(op.f("ix_zalo_held_messages_user_id"), table_name="zalo_held_messages")
    op.drop_table("zalo_held_messages")
    op.drop_table("zalo_oa_users")
    op.drop_table("zalo_oa_tokens")
