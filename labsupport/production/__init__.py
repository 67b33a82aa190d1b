"""Production concerns, kept out of the lessons: none of these modules is a lesson.

Each module's docstring says which notebook or program uses it. The teaching modules in
``labsupport`` carry only what a notebook motivates; what a real deployment or the
benchmark adds (batched commits, the tuned server, the benchmark's harness) lives here.
"""
