"""`python main.py create-admin USERNAME`."""

from __future__ import annotations

import sys

from core.errors import ValidationFailed
from core.runtime import open_state
from core.settings import Settings
from resolvers.accounts.staff import ensure_admin


async def create_admin(settings: Settings, username: str, password: str) -> int:
    async with open_state(settings, application_name="turnero-cli") as state:
        try:
            async with state.engine.begin() as conn:
                user, created = await ensure_admin(conn, username, password)
        except ValidationFailed as error:
            print(f"create-admin: {error.field}: {error.message}", file=sys.stderr)
            return 2
    print(f"{'created' if created else 'reset the password of'} ADMIN {user.username}")
    return 0
