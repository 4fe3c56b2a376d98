"""Sessions are listed newest first: index them by when they started."""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_index("sessions_by_start", "sessions", ["started_at"])
