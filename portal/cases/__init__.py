"""Clients, consent, engagements, referrals and case conferences."""
