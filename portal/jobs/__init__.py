"""Employers, quotas, job-carving requests, carved job offers and subsidies."""
