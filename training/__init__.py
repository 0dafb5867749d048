"""Training pipeline for the glyph model (`glyphnet`).

Owns: reading the raw data sets, the Python twin of the service's stroke
rasteriser and preprocessing (docs/preprocessing.md), augmentation, training,
evaluation and export of the shipped model and the parity fixtures.
Must never: copy data into the repository, or drift from the preprocessing
contract without changing docs/preprocessing.md first.
"""

CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "star", "smiley", "scribble"]
STAR, SMILEY, SCRIBBLE = 10, 11, 12
