// Preprocessing module; see docs/ARCHITECTURE.md.
