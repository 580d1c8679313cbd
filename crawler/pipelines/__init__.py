"""Item pipelines, one concern each: extract (100), fingerprint (200), store (300)."""
