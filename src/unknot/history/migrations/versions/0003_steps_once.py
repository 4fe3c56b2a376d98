"""Each step of a session once: a unique index on steps(session_id, position), which the store's
`INSERT ... ON CONFLICT DO NOTHING` relies on. An older history may hold the same step more than
once (written by two tabs, or sent again, at the same moment): the first row of each is kept."""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute(
        "DELETE FROM steps WHERE id NOT IN "
        "(SELECT MIN(id) FROM steps GROUP BY session_id, position)"
    )
    op.drop_index("steps_by_session", table_name="steps")
    op.create_index("steps_once", "steps", ["session_id", "position"], unique=True)
