"""The ICM partnership portal."""
