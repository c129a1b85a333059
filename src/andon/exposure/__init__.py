"""Pure exposure logic: configuration in, :class:`andon.core.Exposure` out. No I/O, no SDKs."""
