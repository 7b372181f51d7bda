"""The national data set for measuring the portal at scale: `portal seed-scale` (see run.py)."""

from portal.seed_scale.run import DEFAULT_SEED, SIZES, Report, SeedScaleError, Size, seed_scale

__all__ = ["DEFAULT_SEED", "SIZES", "Report", "SeedScaleError", "Size", "seed_scale"]
