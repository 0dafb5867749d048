// HTTPServer module; see docs/ARCHITECTURE.md.
