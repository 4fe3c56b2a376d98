"""The pose catalog and the words it is written in: areas, conditions, positions, holds,
the figure model."""
