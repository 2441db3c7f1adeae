"""The pure core: no I/O, no clock of its own, no AWS SDK. Everything it needs from outside comes through `ports`."""
