"""Sessions, the steps done in them, and how tight each area felt before and after."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(36), nullable=False, unique=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("routine", sa.String(200), nullable=False),
        sa.Column("needs", sa.Text, nullable=False),
        sa.Column("planned_seconds", sa.Integer, nullable=False),
        sa.Column("finished", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("pose", sa.String(200), nullable=False),
        sa.Column("side", sa.String(5)),
        sa.Column("planned_seconds", sa.Integer, nullable=False),
        sa.Column("held_seconds", sa.Float, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("areas", sa.Text, nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("steps_by_session", "steps", ["session_id", "position"])
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("moment", sa.String(6), nullable=False),
        sa.Column("area", sa.String(40), nullable=False),
        sa.Column("value", sa.Integer, nullable=False),
        sa.UniqueConstraint("session_id", "moment", "area"),
    )
