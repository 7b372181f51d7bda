"""The home page: cards computed from the data, each area contributing its own (see cards.py)."""
