"""Monitoring and evaluation: placements and job retention."""
