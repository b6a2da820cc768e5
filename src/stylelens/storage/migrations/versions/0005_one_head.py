"""Join the integration, shoppers and taste migrations into one head, so later migrations have one parent.

Revision ID: 0005
Revises: 0002, 0003, 0004
"""

revision = "0005"
down_revision = ("0002", "0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
