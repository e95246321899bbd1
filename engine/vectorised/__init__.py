"""The vectorised backend: the same rule files, evaluated over columns for whole populations.

The per-family engine (durable-rules, and the clause-by-clause explanation path) decides one
family at a time; a 1 January re-indexation or a reform what-if needs every family at once. This
package compiles the very same `compiler.Program` (parameters folded, lets inlined, literals
normalised) into polars expressions, so no benefit is ever written twice:

- `tables`: the population as three tables (families, members, deceased), from Parquet or from
  contract snapshots, and back;
- `exact`: Python's float rounding and summation reproduced over arrays, so indicators agree to
  the bit with `engine.indicators`;
- `layout`: members contiguous per family, the shape every aggregation reduces over;
- `indicators`: the registered indicators as per-family aggregations;
- `translate`: expression trees into exact fixed-point polars expressions;
- `run`: decisions (status, amount, review reasons) and the well-being level for every family;
- `clocks`: `next_change` for every family, the day its decisions can next change by time alone;
- `check`: the differential check of the three backends (durable-rules, explanation, vectorised);
- `edgecases`: seeded families aimed at the rules' thresholds, for that check and benchmarks.
"""
