"""The demo province generator: synthetic, plausible returns for `htx demo`, the tests and
the benchmarks. Not part of the pipeline."""
