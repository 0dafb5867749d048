// Imaging module; see docs/ARCHITECTURE.md.
