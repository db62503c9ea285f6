"""The scheduler: reminders (unique key subject/recipient/step), reporting duties, submissions.

Times are plain DATETIME/TIMESTAMP holding UTC, as in 0001 (bot.models.UTCDateTime converts).

Revision ID: 0002_scheduler
Revises: 0001
Create Date: 2026-11-27
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_scheduler'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.Enum('ticket', 'obligation', 'digest', name='subjectkind', native_enum=False, length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('recipient_kind', sa.Enum('unit', 'citizen', name='recipientkind', native_enum=False, length=32), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('unit_id', sa.String(length=64), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('remind_at', sa.DateTime(), nullable=False),
    sa.Column('repeat_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'skipped', 'cancelled', name='reminderstatus', native_enum=False, length=32), nullable=False),
    sa.Column('sent_count', sa.Integer(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('subject_kind', 'subject_id', 'recipient', 'step', name='uq_reminders_key')
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_due', ['status', 'remind_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_unit_id'), ['unit_id'], unique=False)

    op.create_table('obligations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('duty', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.String(length=64), nullable=False),
    sa.Column('to_unit_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('data_from', sa.Date(), nullable=True),
    sa.Column('data_to', sa.Date(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.Enum('open', 'submitted', name='obligationstatus', native_enum=False, length=32), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_obligations_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_obligations')),
    sa.UniqueConstraint('duty', 'period', 'unit_id', name='uq_obligations_key')
    )
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_obligations_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_unit_id'), ['unit_id'], unique=False)

    op.create_table('report_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=64), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('file_id', sa.String(length=255), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('doc_number', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_report_submissions_obligation_id_obligations')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_report_submissions_official_id_officials')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_report_submissions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_submissions'))
    )
    with op.batch_alter_table('report_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_submissions_obligation_id'), ['obligation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('report_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_submissions_obligation_id'))

    op.drop_table('report_submissions')
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_obligations_unit_id'))
        batch_op.drop_index(batch_op.f('ix_obligations_due_at'))

    op.drop_table('obligations')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_unit_id'))
        batch_op.drop_index('ix_reminders_due')

    op.drop_table('reminders')
