"""The synthetic population: families and members that look like Kazakhstan's, and nobody real.

One statistical model (`chunk`) generates each chunk of families as columns. Two outputs sit on
top of it: `vectorised` writes millions of families to Parquet for population sweeps, and `rich`
turns the same columns into contract snapshots, with Faker names, for fixtures and the bus.
`snapshots` turns the Parquet back into snapshots, so every path is compared family by family.
The calibration targets and their sources are in `calibration` and `README.md`.
"""
