"""The familycard engine: the family snapshot, its indicators, the rule files and their evaluators.

Nothing in this package imports a web framework or a database: the service, the synthetic
population and the benchmarks depend on it, never the reverse.
"""
