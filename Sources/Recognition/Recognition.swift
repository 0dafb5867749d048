// Recognition module; see docs/ARCHITECTURE.md.
