"""What the partnership rules answer when they say no."""

from __future__ import annotations


class NotFound(LookupError):
    """Missing, or not visible to the actor's tenant: the caller answers 404 either way."""


class Refused(Exception):
    """A guard clause said no; `message` is shown to the person."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs beside, when there is one


class EditConflict(Exception):
    """Someone else saved the draft since the form was opened."""
