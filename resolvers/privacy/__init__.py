"""Personal data's end: the nightly retention run and one person's erasure (docs/privacy.md)."""
