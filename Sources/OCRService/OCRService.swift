// OCRService module; see docs/ARCHITECTURE.md.
