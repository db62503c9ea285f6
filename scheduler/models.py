"""The scheduler's tables: planned reminders, reporting duties and their submissions.

Every reminder is a row with a unique key (subject, recipient, step), so
planning the same thing twice — from two instances, or after a restart —
inserts nothing new, and the ticker claims each due row exactly once in the
transaction that also writes its outbox rows.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models import Base, _enum

__all__ = ["Reminder", "ReminderStatus", "SubjectKind", "RecipientKind", "Obligation", "ObligationStatus",
           "ReportSubmission"]


class SubjectKind(enum.StrEnum):
    TICKET = "ticket"          # subject_id = tickets.id
    OBLIGATION = "obligation"  # subject_id = obligations.id
    DIGEST = "digest"          # subject_id = the local date (YYYY-MM-DD) or "<obligation key>"


class RecipientKind(enum.StrEnum):
    UNIT = "unit"          # recipient = units.id (its groups, else its officials)
    CITIZEN = "citizen"    # recipient = citizens.id


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"      # a later step of the same subject was due at the same tick (no flood)
    CANCELLED = "cancelled"  # the subject was answered, transferred, closed or submitted


class ObligationStatus(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"


class Reminder(Base):
    """One planned message. `repeat_days` > 0: after sending, the row moves to the next working day."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id", "recipient", "step", name="uq_reminders_key"),
        Index("ix_reminders_due", "status", "remind_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[SubjectKind] = mapped_column(_enum(SubjectKind))
    subject_id: Mapped[str] = mapped_column(String(64))
    recipient_kind: Mapped[RecipientKind] = mapped_column(_enum(RecipientKind))
    recipient: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(32))         # "before_3", "due", "overdue", "late_citizen", ...
    unit_id: Mapped[str | None] = mapped_column(String(64), index=True)  # the responsible unit (for preview)
    due_at: Mapped[datetime]
    remind_at: Mapped[datetime]
    repeat_days: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ReminderStatus] = mapped_column(_enum(ReminderStatus), default=ReminderStatus.PENDING)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # last send happened well after remind_at
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Obligation(Base):
    """A reporting duty or a programme milestone of one unit for one period."""

    __tablename__ = "obligations"
    __table_args__ = (UniqueConstraint("duty", "period", "unit_id", name="uq_obligations_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    duty: Mapped[str] = mapped_column(String(64))      # the key in config/obligations.yaml
    period: Mapped[str] = mapped_column(String(16))    # "2026-H1", "2026", ...
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    to_unit_id: Mapped[str] = mapped_column(String(64))  # who receives it (Home Affairs, ...)
    title: Mapped[str] = mapped_column(String(255))
    data_from: Mapped[date | None] = mapped_column(Date)
    data_to: Mapped[date | None] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[ObligationStatus] = mapped_column(_enum(ObligationStatus), default=ObligationStatus.OPEN)
    submitted_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ReportSubmission(Base):
    """Who submitted what and when; one row per submission (a corrected version is another row)."""

    __tablename__ = "report_submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    channel: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str | None] = mapped_column(String(255))    # the platform's file id (the stored file)
    file_name: Mapped[str | None] = mapped_column(String(255))
    doc_number: Mapped[str | None] = mapped_column(String(64))  # số văn bản, when no file is attached
    note: Mapped[str | None] = mapped_column(Text)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime]
