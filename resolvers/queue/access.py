"""Who may act at an office's front desk."""

from __future__ import annotations

from core.errors import NotAllowedError
from models.accounts import DeviceKind, Role
from resolvers.accounts.viewer import Viewer


def is_desk_staff(viewer: Viewer, office_id: int) -> bool:
    return viewer.has_role(office_id, Role.CLERK, Role.MANAGER)


def require_desk_staff(viewer: Viewer, office_id: int) -> None:
    if not is_desk_staff(viewer, office_id):
        raise NotAllowedError("Only the office's clerks and managers work its desks.")


def require_arrival_point(viewer: Viewer, office_id: int) -> None:
    """Check-ins and walk-in tickets: the office's kiosks, or its desk staff."""
    kiosk = viewer.device_kind is DeviceKind.KIOSK and viewer.device_office_id == office_id
    if not kiosk and not is_desk_staff(viewer, office_id):
        raise NotAllowedError("Only this office's kiosks and desk staff issue its tickets.")


def may_watch(viewer: Viewer, office_id: int) -> bool:
    """The board and the event stream: the office's displays and kiosks, and its staff."""
    if viewer.device_kind is not None:
        return viewer.device_office_id == office_id
    return viewer.has_role(office_id, Role.CLERK, Role.MANAGER, Role.OPERATOR)
