"""Notifications: the in-app inbox, derived reminders and the e-mail outbox."""
